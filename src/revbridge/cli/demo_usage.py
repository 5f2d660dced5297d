"""The demo's usage: a generated month of events sent through the real HTTP endpoint.

It starts the real API (uvicorn) on a free loopback port inside the demo process and
posts CloudEvents batches with an ingest key, as a product would, including a few bad
events and a re-sent batch, so the demo shows counts, quarantine and meters working
end to end. The generator is seeded, so every run sends the same events.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import uvicorn
from sqlalchemy import Engine

from revbridge.api.app import create_app
from revbridge.config import Settings
from revbridge.domain.period import Period

BATCH = "application/cloudevents-batch+json"

# calls, tokens and card payment volume per day, and GB stored at the start of the month
PROFILES = {
    "tenant-acme": (400, 0, 0, 40),
    "tenant-globex": (500, 90_000, 9_000, 310),
    "tenant-initech": (200, 0, 0, 120),
    "tenant-umbrella": (400, 400_000, 0, 900),
    "tenant-hooli": (40, 0, 0, 2),
}


@dataclass(frozen=True)
class Sent:
    counts: dict[str, int]
    seconds: float
    batches: int


def generate(start: datetime, end: datetime, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Events of every demo tenant over ``[start, end)``, day by day."""
    rng = random.Random(seed)
    day = start
    n = 0
    while day < end:
        for tenant, (calls, tokens, volume, gb) in PROFILES.items():
            daily: list[tuple[str, datetime, dict[str, Any]]] = []
            for _ in range(int(calls * rng.uniform(0.8, 1.2))):
                status = 200 if rng.random() > 0.01 else rng.choice([500, 503, 404])
                daily.append(("api.request", day + timedelta(seconds=rng.randrange(86_400)),
                              {"status": status, "region": rng.choice(["eu", "us"]), "path": "/v1/things"}))
            for _ in range(20 if tokens else 0):
                daily.append(("ai.completion", day + timedelta(seconds=rng.randrange(86_400)),
                              {"tokens": int(tokens / 20 * rng.uniform(0.5, 1.5)), "model": "small", "billable": True}))
            if volume:
                daily.append(("payment.captured", day + timedelta(hours=12), {"amount": volume}))
            growth = Decimal(1) + Decimal((day - start).days) / Decimal(100)
            daily.append(("storage.snapshot", day + timedelta(hours=23),
                          {"gb": (Decimal(gb) * growth).quantize(Decimal("0.01"))}))
            for kind, at, data in daily:
                if at < end:
                    n += 1
                    yield _event(f"{kind.split('.')[0]}-{n}", kind, tenant, at, data)
        day += timedelta(days=1)


def _event(event_id: str, kind: str, tenant: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"specversion": "1.0", "id": event_id, "source": "//app.skyline.example", "type": kind,
            "subject": tenant, "time": at.isoformat().replace("+00:00", "Z"), "data": data}


def bad_events(at: datetime) -> list[dict[str, Any]]:
    """What real products send by mistake: an unknown tenant, a bad time, a NaN, no id."""
    return [
        _event("oops-1", "api.request", "tenant-unknown", at, {"status": 200, "region": "eu"}),
        _event("oops-2", "api.request", "tenant-acme", at, {"status": 200, "region": "eu"}) | {"time": "31/01/2026"},
        _event("oops-3", "ai.completion", "tenant-globex", at, {"tokens": "NaN", "model": "small", "billable": True}),
        {k: v for k, v in _event("oops-4", "api.request", "tenant-acme", at, {"status": 200}).items() if k != "id"},
    ]


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the demo's main thread keeps its own
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def send_through_http(engine: Engine, api_key: str, events: list[dict[str, Any]], now: datetime,
                      batch_size: int = 1000) -> Sent:
    """Serve the API on loopback and post ``events`` in batches; returns the summed answers."""
    started_at = time.monotonic()
    clock_start = now

    def clock() -> datetime:
        return clock_start + timedelta(seconds=time.monotonic() - started_at)

    port = _free_port()
    server = _Server(uvicorn.Config(create_app(Settings(), engine, clock), host="127.0.0.1", port=port,
                                    log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    totals = {"received": 0, "accepted": 0, "duplicate": 0, "rejected": 0}
    batches = 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": f"Bearer {api_key}", "Content-Type": BATCH}) as client:
            for i in range(0, len(events), batch_size):
                answer = client.post("/v1/events", content=msgspec.json.encode(events[i : i + batch_size]))
                answer.raise_for_status()
                body = answer.json()
                for key in totals:
                    totals[key] += body[key]
                batches += 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return Sent(totals, time.monotonic() - started_at, batches)


def month_of_usage(period: Period, seed: int = 7) -> list[dict[str, Any]]:
    """The month's events, plus the mistakes and one batch sent twice (a client retry)."""
    events = list(generate(period.start, period.end, seed))
    events += bad_events(period.start + timedelta(days=3))
    events += events[1000:1200]  # a retried batch: duplicates, counted not stored
    return events
