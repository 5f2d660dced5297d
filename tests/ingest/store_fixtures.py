"""A stored workspace for usage tests: meters, customers, and the ingest service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from sqlalchemy import Engine

from revbridge.catalog.apply import apply_catalog
from revbridge.catalog.customers import create_customer
from revbridge.catalog.entities import create_legal_entity
from revbridge.catalog.spec import load_catalog
from revbridge.ingest.service import IngestService

CATALOG = """
meters:
  - {code: calls, event_type: api.request, aggregation: count}
  - {code: tokens, event_type: api.request, aggregation: sum, value_property: tokens}
  - {code: peak_eu, event_type: api.request, aggregation: max, value_property: latency,
     filters: [{property: region, eq: eu}]}
  - {code: users, event_type: api.request, aggregation: unique_count, value_property: user}
  - {code: storage, event_type: storage.snapshot, aggregation: latest, value_property: gb}
plans:
  - code: basic
    name: Basic
    currency: USD
    interval: month
    prices:
      - {code: calls, model: per_unit, meter: calls, amount: "0.01"}
"""
BATCH = "application/cloudevents-batch+json"
SINGLE = "application/cloudevents+json"


@dataclass
class UsageWorld:
    engine: Engine
    workspace_id: str
    customers: dict[str, str]
    service: IngestService

    def send(self, events: list[dict[str, Any]], content_type: str = BATCH) -> Any:
        body = msgspec.json.encode(events if content_type == BATCH else events[0])
        return self.service.accept_body(self.workspace_id, body, content_type)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def usage_world(engine: Engine, workspace: str, scope_in: Callable[..., Any]) -> UsageWorld:
    with scope_in(workspace) as scope:
        create_legal_entity(scope, {"code": "us", "name": "Us", "currency": "USD", "country": "US", "invoice_prefix": "US"})
        apply_catalog(scope, load_catalog(CATALOG, "catalog.yaml"))
        acme = create_customer(scope, {"key": "acme", "name": "Acme", "country": "US",
                                       "external_ids": {"product": "tenant-acme"}})
        globex = create_customer(scope, {"key": "globex", "name": "Globex", "country": "US"})
    return UsageWorld(engine, workspace, {"acme": acme["id"], "globex": globex["id"]}, IngestService(engine))


@pytest.fixture
def event() -> Callable[..., dict[str, Any]]:
    """A valid api.request event one minute ago; keyword overrides replace keys."""
    counter = iter(range(1_000_000))

    def make(**overrides: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "specversion": "1.0", "id": f"e-{next(counter)}", "source": "app", "type": "api.request",
            "subject": "tenant-acme", "time": iso(datetime.now(UTC).replace(microsecond=0)),
            "data": {"tokens": 10, "region": "eu", "user": "u1", "latency": 12},
        }
        base.update(overrides)
        return base

    return make
