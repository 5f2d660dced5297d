"""Factories for ingest tests: events, bodies, meters and a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from revbridge.catalog.model import Aggregation, Filter, FilterOp, Meter
from revbridge.ingest import EventRules, IngestResult, ingest_body

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BATCH = "application/cloudevents-batch+json"
SINGLE = "application/cloudevents+json"
CUSTOMERS = {"acme": "cus_1", "globex": "cus_2"}

METERS = (
    Meter("calls", "api.request", Aggregation.COUNT),
    Meter("tokens", "api.request", Aggregation.SUM, value_property="tokens"),
    Meter("peak_eu", "api.request", Aggregation.MAX, value_property="latency",
          filters=(Filter("region", FilterOp.EQ, ("eu",)),)),
    Meter("users", "api.request", Aggregation.UNIQUE_COUNT, value_property="user"),
    Meter("storage", "storage.snapshot", Aggregation.LATEST, value_property="gb"),
)
RULES = EventRules.from_meters(METERS, allowed_types=("audit.login",))


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """A valid ``api.request`` event; keyword overrides replace (``None`` removes) keys."""
    counter = iter(range(1_000_000))

    def make(**overrides: Any) -> dict[str, Any]:
        made: dict[str, Any] = {
            "specversion": "1.0",
            "id": f"evt-{next(counter)}",
            "source": "//api.example.com",
            "type": "api.request",
            "subject": "acme",
            "time": "2025-03-01T11:00:00Z",
            "data": {"tokens": 10, "region": "us", "user": "u1"},
        }
        for key, value in overrides.items():
            if value is None:
                made.pop(key, None)
            else:
                made[key] = value
        return made

    return make


def encode(value: Any) -> bytes:
    return msgspec.json.encode(value)


@pytest.fixture
def ingest() -> Callable[..., IngestResult]:
    """``ingest_body`` with the test rules, customers and clock."""

    def run(body: bytes | list[Any] | dict[str, Any], content_type: str = BATCH, **kw: Any) -> IngestResult:
        raw = body if isinstance(body, bytes) else encode(body)
        return ingest_body(raw, content_type, rules=kw.pop("rules", RULES),
                           customer_of=CUSTOMERS.get, now=kw.pop("now", NOW), **kw)

    return run


from tests.ingest.store_fixtures import event, usage_world  # noqa: F401  (store-backed fixtures)
