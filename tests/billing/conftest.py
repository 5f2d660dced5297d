"""A small billing world on each backend: entities with tax rates, a catalog, usage in memory.

``world`` is a factory-style fixture: ``world.subscribe(...)``, ``world.use(...)``,
``world.run(as_of)`` and ``world.documents(customer)`` keep the tests to the story
they tell. Usage is a ``sum`` meter (``data.calls``) so one event can carry many calls.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from revbridge.billing import documents as docs
from revbridge.billing.run import RunSummary, run_billing
from revbridge.billing.tables import document_lines, documents
from revbridge.billing.taxes import set_tax_rate
from revbridge.catalog import subscriptions
from revbridge.catalog.apply import apply_catalog
from revbridge.catalog.customers import create_customer
from revbridge.catalog.entities import create_legal_entity
from revbridge.catalog.spec import load_catalog
from revbridge.domain.period import utc
from revbridge.ingest.envelope import UsageEvent
from revbridge.ingest.usage import InMemoryUsage
from revbridge.scope import transaction

CATALOG = """
meters:
  - {code: api_calls, event_type: api.request, aggregation: sum, value_property: calls}
plans:
  - code: basic
    name: Basic
    currency: USD
    interval: month
    prices:
      - {code: platform, model: flat, amount: "29.00"}
      - code: api_calls
        model: graduated
        meter: api_calls
        tiers:
          - {up_to: 1000, unit_price: "0"}
          - {up_to: 10000, unit_price: "0.002"}
          - {up_to: null, unit_price: "0.001"}
  - code: pro
    name: Pro
    currency: USD
    interval: month
    prices:
      - {code: platform, model: flat, amount: "99.00"}
      - {code: seats, model: per_unit, amount: "12.00"}
      - {code: api_calls, model: per_unit, meter: api_calls, amount: "0.001"}
  - code: scale
    name: Scale
    currency: USD
    interval: month
    minimum_commitment: "500.00"
    prices:
      - {code: platform, model: flat, amount: "99.00"}
      - {code: api_calls, model: per_unit, meter: api_calls, amount: "0.002"}
  - code: yearly
    name: Yearly
    currency: USD
    interval: year
    prices:
      - {code: platform, model: flat, amount: "1200.00"}
  - code: quarterly
    name: Quarterly
    currency: USD
    interval: quarter
    prices:
      - {code: platform, model: flat, amount: "300.00"}
  - code: eu
    name: EU
    currency: EUR
    interval: month
    prices:
      - {code: platform, model: flat, amount: "119.00"}
      - {code: api_calls, model: per_unit, meter: api_calls, amount: "0.0103"}
  - code: yen
    name: Yen
    currency: JPY
    interval: month
    prices:
      - {code: platform, model: flat, amount: "3333"}
      - {code: api_calls, model: per_unit, meter: api_calls, amount: "0.35"}
  - code: dinar
    name: Dinar
    currency: KWD
    interval: month
    prices:
      - {code: platform, model: flat, amount: "9.999"}
      - {code: api_calls, model: per_unit, meter: api_calls, amount: "0.0015"}
"""

ENTITIES = [
    {"code": "us", "name": "Us Inc", "currency": "USD", "country": "US", "invoice_prefix": "US"},
    {"code": "de", "name": "Us GmbH", "currency": "EUR", "country": "DE", "invoice_prefix": "DE"},
    {"code": "de_gross", "name": "Us Retail GmbH", "currency": "EUR", "country": "DE", "invoice_prefix": "DR",
     "prices_include_tax": True},
    {"code": "de_global", "name": "Us Global GmbH", "currency": "EUR", "country": "DE", "invoice_prefix": "DG",
     "tax_rounding": "round_globally"},
    {"code": "jp", "name": "Us KK", "currency": "JPY", "country": "JP", "invoice_prefix": "JP"},
    {"code": "kw", "name": "Us KSC", "currency": "KWD", "country": "KW", "invoice_prefix": "KW"},
]
RATES = [("us", "US", "0"), ("de", "DE", "19"), ("de_gross", "DE", "19"), ("de_global", "DE", "20"),
         ("jp", "JP", "10"), ("kw", "KW", "0")]
START = utc(2026, 1, 1)


class World:
    def __init__(self, engine: Engine, workspace: str) -> None:
        self.engine = engine
        self.workspace = workspace
        self.usage = InMemoryUsage()
        self._ids = itertools.count()
        self.customers: dict[str, str] = {}

    def scope(self, now: datetime) -> Any:
        return transaction(self.engine, self.workspace, "test", now)

    def customer(self, key: str, entity: str = "us", country: str | None = None, **extra: Any) -> str:
        country = country or {"us": "US", "jp": "JP", "kw": "KW"}.get(entity, "DE")
        with self.scope(START) as scope:
            row = create_customer(scope, {"key": key, "name": key.title(), "country": country,
                                          "legal_entity": entity, **extra})
        self.customers[key] = row["id"]
        return str(row["id"])

    def subscribe(self, key: str, plan: str, starts: datetime = START, quantity: int = 1, **kw: Any) -> str:
        if key not in self.customers:
            self.customer(key)
        with self.scope(starts) as scope:
            return str(subscriptions.create_subscription(scope, key, plan, starts, quantity, trial_days=kw.pop(
                "trial_days", 0), **kw)["id"])

    def change_plan(self, sub: str, plan: str, at: datetime, now: datetime) -> None:
        with self.scope(now) as scope:
            subscriptions.change_plan(scope, sub, plan, at)

    def change_quantity(self, sub: str, quantity: int, at: datetime, now: datetime) -> None:
        with self.scope(now) as scope:
            subscriptions.change_quantity(scope, sub, quantity, at)

    def use(self, key: str, calls: int | str, at: datetime) -> None:
        n = next(self._ids)
        self.usage.add([UsageEvent(source="//test", id=f"e{n}", type="api.request", subject=key,
                                   customer_id=self.customers[key], time=at, data={"calls": Decimal(calls)},
                                   extensions={}, digest="", payload=b"")])

    def run(self, as_of: datetime, now: datetime | None = None, **kw: Any) -> RunSummary:
        with self.scope(now or as_of) as scope:
            return run_billing(scope, self.usage, as_of, **kw)

    def documents(self, key: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            query = select(documents.c.id).where(documents.c.workspace_id == self.workspace)
            if key is not None:
                query = query.where(documents.c.customer_id == self.customers[key])
            if state is not None:
                query = query.where(documents.c.state == state)
            ids = [r.id for r in conn.execute(query.order_by(documents.c.created_at, documents.c.id))]
        with self.scope(START) as scope:
            return [docs.get_document(scope, i) for i in ids]

    def billed(self, key: str) -> Decimal:
        """Net billed to a customer: invoice totals minus credit note totals (tax excluded)."""
        return sum((_sign(d) * d["subtotal"] for d in self.documents(key) if d["state"] != "draft"), Decimal(0))

    def billed_by_key(self, key: str) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for d in self.documents(key):
            if d["state"] == "draft":
                continue
            for line in d["lines"]:
                if line["charge_key"]:
                    out[line["charge_key"]] = out.get(line["charge_key"], Decimal(0)) + _sign(d) * line["amount"]
        return {k: v for k, v in out.items() if v}

    def line_count(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(document_lines.c.id).where(
                document_lines.c.workspace_id == self.workspace)).all())


def _sign(doc: dict[str, Any]) -> int:
    return 1 if doc["kind"] == "invoice" else -1


@pytest.fixture
def world(engine: Engine, workspace: str) -> World:
    with transaction(engine, workspace, "test", START) as scope:
        for entity in ENTITIES:
            create_legal_entity(scope, entity)
        for entity, country, rate in RATES:
            set_tax_rate(scope, entity, country, Decimal(rate))
        apply_catalog(scope, load_catalog(CATALOG, "catalog.yaml"))
    return World(engine, workspace)
