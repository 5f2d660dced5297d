"""Ingest benchmarks: HTTP batches, file import, and one customer's usage query.

    .venv/bin/python bench/ingest.py            # full: 60 s of HTTP, 1M-line file, 10M stored events
    .venv/bin/python bench/ingest.py --quick    # the same lines, on small counts (CI)

Each figure is printed on its own line as ``name: value unit``, for SQLite and for
PostgreSQL (a throw-away database on 127.0.0.1:5432 when it is reachable), after the
machine's speed (``machine_python_loop_ms``: machines of one kind differ by up to two
times, so compare figures from two runs only beside it):

- HTTP: a real ``revbridge serve`` process (with its upkeep thread building rollups
  and checkpointing SQLite's log); this process is the client, posting CloudEvents
  batches of 1,000 one at a time: random ids (uuid4), 1,000 customers, times within the
  last two minutes, as a live product reports what just happened. A thread builds the
  next body while a batch is in flight, as a real sender would, so the figure is the
  server's and not the cost of making up events.
- File import: ``revbridge events import`` of a JSON Lines file in a subprocess, into an
  empty database (``..._empty_db_...``) and into the HTTP run's database, with its
  peak RSS: the importing process's peak plus its validating child's
  (``ingest.handover``), an upper bound of what the two held at once. The file is an
  export: random ids and customers, times in order over the last 20 days.
- Usage query: one customer's month of one meter (30 whole days, as billing asks; and,
  as a second figure, the 30 days up to now, which end inside the current hour) over a
  table of stored events (1,000 customers over 30 days, stored in time order as live
  ingest stores them), answered from the hourly rollups (``ingest.rollups``), which
  also answer an edge hour whose events all fall inside the period, plus the raw
  events after the rollups' mark. The rollups are built first, and the rate they are
  built at is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psycopg
from sqlalchemy import Engine

from revbridge.catalog.apply import apply_catalog
from revbridge.catalog.entities import create_legal_entity
from revbridge.catalog.spec import load_catalog
from revbridge.catalog.versions import stored_meters
from revbridge.domain.period import Period
from revbridge.ids import new_id
from revbridge.ingest.keys import key_hash, merge_young
from revbridge.ingest.meters import customer_quantity
from revbridge.ingest.rollups import roll_up_all
from revbridge.scope import transaction, utcnow
from revbridge.store.engine import open_engine
from revbridge.store.migrate import upgrade
from revbridge.store.tables import customers, external_ids
from revbridge.workspaces import Role, create_api_key, create_workspace

PG_ADMIN = os.environ.get("REVBRIDGE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CATALOG = """
meters:
  - {code: api_calls, event_type: api.request, aggregation: count, group_by: [region]}
  - {code: tokens, event_type: api.request, aggregation: sum, value_property: tokens}
  - {code: storage_gb, event_type: storage.snapshot, aggregation: max, value_property: gb}
plans: []
"""
CUSTOMERS = 1_000
BATCH = 1_000


def emit(name: str, value: float, unit: str) -> None:
    print(f"{name}: {value:,.0f} {unit}" if value >= 100 else f"{name}: {value:.2f} {unit}", flush=True)


# --- databases ------------------------------------------------------------------------


def sqlite_url(folder: Path, name: str = "bench.db") -> str:
    return f"sqlite:///{folder / name}"


def pg_database() -> str | None:
    name = f"revbridge_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return None
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_pg(url: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def prepare(url: str) -> tuple[Engine, str, str]:
    """A migrated database with one workspace, the bench catalog and 1,000 customers."""
    engine = open_engine(url)
    upgrade(engine)
    now = utcnow()
    with engine.begin() as conn:
        ws = create_workspace(conn, "bench", now)["id"]
        _, key = create_api_key(conn, ws, "bench", Role.INGEST, now)
    with transaction(engine, ws, "bench") as scope:
        entity = create_legal_entity(scope, {"code": "us", "name": "Bench", "currency": "USD", "country": "US",
                                             "invoice_prefix": "B"})
        apply_catalog(scope, load_catalog(CATALOG, "bench.yaml"))
        rows, links = [], []
        for n in range(CUSTOMERS):
            cid = new_id("cus")
            rows.append({"id": cid, "workspace_id": ws, "key": f"c{n}", "name": f"Customer {n}", "email": None,
                         "currency": "USD", "timezone": "UTC", "country": "US", "region": None, "tax_id": None,
                         "tax_exempt": False, "legal_entity_id": entity["id"], "created_at": now, "updated_at": now})
            links.append({"id": new_id("xid"), "workspace_id": ws, "entity_type": "customer", "entity_id": cid,
                          "system": "product", "external_id": f"tenant-{n:05d}", "created_at": now})
        scope.conn.execute(customers.insert(), rows)
        scope.conn.execute(external_ids.insert(), links)
    return engine, ws, key


def event(rng: random.Random, moment: datetime) -> dict[str, Any]:
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "//api.bench", "type": "api.request",
            "subject": f"tenant-{rng.randrange(CUSTOMERS):05d}", "time": moment.isoformat().replace("+00:00", "Z"),
            "data": {"tokens": rng.randrange(1, 5000), "region": rng.choice(("eu", "us")), "path": "/v1/items"}}


# --- HTTP ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ingest(url: str, key: str, seconds: float) -> tuple[float, float]:
    """Events/s and p99 batch latency (ms) against a real ``revbridge serve``."""
    port = free_port()
    env = {**os.environ, "REVBRIDGE_DATABASE_URL": url, "REVBRIDGE_LOG_LEVEL": "warning",
           "REVBRIDGE_RUN_WORKER_IN_PROCESS": "false"}
    server = subprocess.Popen([sys.executable, "-m", "revbridge", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/cloudevents-batch+json"}
        latencies, sent = [], 0
        bodies = _bodies_ahead()
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            client.post("/v1/events", content=bodies.get())  # warm up
            started = time.monotonic()
            while time.monotonic() - started < seconds:
                body = bodies.get()
                t0 = time.monotonic()
                answer = client.post("/v1/events", content=body)
                latencies.append(time.monotonic() - t0)
                answer.raise_for_status()
                sent += answer.json()["accepted"]
            elapsed = time.monotonic() - started
        p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 2 else latencies[0]
        return sent / elapsed, p99 * 1000
    finally:
        stop_group(server)


def stop_group(server: subprocess.Popen[bytes]) -> None:
    """End the server and its upkeep process, and wait until both are gone: the next
    figure must not share the machine with a rollup pass still running."""
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)


def _bodies_ahead() -> queue.Queue[bytes]:
    """Batch bodies made by a daemon thread, two ahead of the sender."""
    bodies: queue.Queue[bytes] = queue.Queue(maxsize=2)
    rng = random.Random(1)

    def make() -> None:
        while True:
            now = datetime.now(UTC)
            bodies.put(msgspec.json.encode([event(rng, now - timedelta(seconds=rng.random() * 120))
                                            for _ in range(BATCH)]))

    threading.Thread(target=make, daemon=True, name="bench-bodies").start()
    return bodies


# --- file import ------------------------------------------------------------------------


def write_jsonl(path: Path, count: int) -> None:
    rng, now = random.Random(2), datetime.now(UTC)
    start, step = now - timedelta(days=20), timedelta(days=20) / count
    encoder = msgspec.json.Encoder()
    with path.open("wb") as out:
        for chunk in range(0, count, BATCH):
            out.write(b"\n".join(encoder.encode(event(rng, start + step * n)) for n in range(chunk, chunk + BATCH))
                      + b"\n")


def file_import(url: str, path: Path) -> tuple[float, float]:
    """Events/s and peak RSS (MB) of ``revbridge events import`` in its own process."""
    env = {**os.environ, "REVBRIDGE_DATABASE_URL": url}
    code = (
        "import resource, sys, time\n"
        "from revbridge.cli.main import run\n"
        f"sys.argv = ['revbridge', 'events', 'import', {str(path)!r}, '-w', 'bench', '--json']\n"
        "t = time.monotonic()\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print('ELAPSED', time.monotonic() - t, peak, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)
    line = [x for x in done.stderr.splitlines() if x.startswith("ELAPSED")][-1].split()
    return summary["accepted"] / float(line[1]), int(line[2]) / 1024


# --- usage query ---------------------------------------------------------------------------


def fill_events(engine: Engine, ws: str, count: int) -> None:
    """``count`` stored events over the last 30 days, 1,000 customers, loaded in bulk.

    Set-up, not a measured figure: rows go in through each driver's bulk path (COPY on
    PostgreSQL), 200,000 a transaction, so that ten million load in minutes; on SQLite
    they are then merged into the keys and time index (``ingest.keys``).
    """
    from sqlalchemy import select

    from revbridge.ingest.rows import instant_texts

    with engine.connect() as conn:
        ids = [r.id for r in conn.execute(select(customers.c.id).where(customers.c.workspace_id == ws))]
    rng, now = random.Random(3), datetime.now(UTC)
    start_at, step = now - timedelta(days=30), timedelta(days=30) / count
    sqlite = engine.dialect.name == "sqlite"
    received = instant_texts([now])[0] if sqlite else now
    for start in range(0, count, _FILL_CHUNK):
        numbers = range(start, min(count, start + _FILL_CHUNK))
        # stored as live ingest stores them: ids in arrival order, times a minute or so behind
        moments = [start_at + step * n - timedelta(seconds=rng.random() * 60) for n in numbers]
        times = instant_texts(moments) if sqlite else moments
        rows = [
            (ws, "fill", f"q{n}", "api.request", ids[n % CUSTOMERS], moment, "x" * 64,
             msgspec.json.encode({"data": {"tokens": rng.randrange(1, 5000), "region": "eu"}, "id": f"q{n}",
                                  "source": "fill", "type": "api.request"}), received, False, key_hash("fill", f"q{n}"))
            for n, moment in zip(numbers, times, strict=True)
        ]
        with engine.begin() as conn:
            if sqlite:
                conn.exec_driver_sql(f"INSERT INTO usage_events ({_FILL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                     rows)
                continue
            with conn.connection.driver_connection.cursor().copy(  # type: ignore[union-attr]
                f"COPY usage_events ({_FILL_COLUMNS}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
    if sqlite:  # into the keys and time index, as serve's upkeep or an import would have merged them
        with engine.begin() as conn:
            merge_young(conn)


_FILL_CHUNK = 200_000
_FILL_COLUMNS = "workspace_id, source, event_id, type, customer_id, time, digest, payload, received_at, late, key_hash"


def usage_query(engine: Engine, ws: str, period: Period) -> float:
    """Median milliseconds for one customer's ``tokens`` (sum) over ``period``, 20 customers."""
    with transaction(engine, ws, "bench") as scope:
        meter = stored_meters(scope)["tokens"].meter
        from sqlalchemy import select

        ids = [r.id for r in scope.conn.execute(select(customers.c.id).where(customers.c.workspace_id == ws))]
        times = []
        for cid in ids[:20]:
            t0 = time.perf_counter()
            customer_quantity(scope.conn, ws, cid, meter, period)
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def billing_month() -> Period:
    """The 30 days that ended at midnight UTC: a billing period, whole days."""
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return Period(end - timedelta(days=30), end)


def month_to_date() -> Period:
    """The 30 days up to this instant: both ends inside an hour, so their events are read raw,
    every customer's (the index is time-major); the HTTP run's events sit in the last one."""
    now = datetime.now(UTC)
    return Period(now - timedelta(days=30), now)


def python_loop_ms() -> float:
    """Median milliseconds of a fixed pure-Python loop: the machine's speed, printed so
    that figures from two machines of the same kind can be told apart from a change."""
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        sum(n * n for n in range(1_000_000))
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


# --- main -----------------------------------------------------------------------------------


def run_backend(name: str, url: str, empty_url: str, args: argparse.Namespace, folder: Path) -> None:
    path = folder / "events.jsonl"
    if not path.exists():
        write_jsonl(path, args.file_events)
    prepare(empty_url)[0].dispose()
    eps, rss = file_import(empty_url, path)
    emit(f"{name}_file_import_empty_db_events_per_s", eps, "events/s")
    emit(f"{name}_file_import_empty_db_peak_rss_mb", rss, "MB")
    engine, ws, key = prepare(url)
    eps, p99 = http_ingest(url, key, args.seconds)
    emit(f"{name}_http_events_per_s", eps, "events/s")
    emit(f"{name}_http_batch_p99_ms", p99, "ms")
    eps, rss = file_import(url, path)
    emit(f"{name}_file_import_events_per_s", eps, "events/s")
    emit(f"{name}_file_import_peak_rss_mb", rss, "MB")
    fill_events(engine, ws, args.query_events)
    started = time.monotonic()
    read = roll_up_all(engine, ws, utcnow())
    emit(f"{name}_rollup_build_events_per_s", read / (time.monotonic() - started), "events/s")
    emit(f"{name}_usage_query_ms", usage_query(engine, ws, billing_month()), "ms")
    emit(f"{name}_usage_query_to_date_ms", usage_query(engine, ws, month_to_date()), "ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts, for CI")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--query-events", type=int, help="events stored for the usage query (10,000,000; quick 100,000)")
    args = parser.parse_args()
    args.seconds = 5.0 if args.quick else 60.0
    args.file_events = 50_000 if args.quick else 1_000_000
    args.query_events = args.query_events or (100_000 if args.quick else 10_000_000)
    print(f"bench_mode: {'quick' if args.quick else 'full'}", flush=True)
    print(f"query_events: {args.query_events} events", flush=True)
    emit("machine_python_loop_ms", python_loop_ms(), "ms")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.backend in ("sqlite", "both"):
            run_backend("sqlite", sqlite_url(folder), sqlite_url(folder, "empty.db"), args, folder)
        if args.backend in ("postgres", "both"):
            url, empty_url = pg_database(), pg_database()
            if url is None or empty_url is None:
                print("postgres: unavailable", flush=True)
                return
            try:
                run_backend("postgres", url, empty_url, args, folder)
            finally:
                drop_pg(url)
                drop_pg(empty_url)
    _ = resource  # peak RSS is read in the import subprocess


if __name__ == "__main__":
    main()
