"""Billing run benchmark: 10,000 active subscriptions, 3 charges each, a month of usage.

    .venv/bin/python bench/billing.py            # 10,000 subscriptions
    .venv/bin/python bench/billing.py --quick    # 500 subscriptions (CI)

Each subscription (one per customer) is on a plan with a flat fee and seats in advance
and graduated API calls in arrears; it started on Dec 1, so a run as of Jan 1 bills
December's usage and January's fees: three charges each. Usage comes pre-aggregated
through the ``UsageSource`` protocol (one number per customer), so the figures measure
billing, not the usage store. The first run issues and finalises every invoice; the
second run, with nothing new, must issue nothing.

Figures, one per line as ``name: value unit``, for SQLite (a temporary file) and
PostgreSQL (a throw-away database on 127.0.0.1:5432, created and dropped here):

    sqlite_billing_run_s, sqlite_second_run_s, pg_billing_run_s, pg_second_run_s

plus the one-minute load average at the start and the end: other work on the machine
moves the figures, so compare those taken in one run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy import Engine

from revbridge.billing.run import bill_workspace
from revbridge.billing.taxes import set_tax_rate
from revbridge.catalog.apply import apply_catalog
from revbridge.catalog.entities import create_legal_entity
from revbridge.catalog.model import Meter
from revbridge.catalog.spec import load_catalog
from revbridge.catalog.versions import current_plan
from revbridge.domain.period import Period
from revbridge.ids import new_id
from revbridge.scope import Scope, transaction
from revbridge.store.engine import open_engine
from revbridge.store.migrate import upgrade
from revbridge.store.tables import customers, subscription_amendments, subscription_phases, subscriptions
from revbridge.workspaces import create_workspace

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
START = datetime(2025, 12, 1, tzinfo=UTC)
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
CATALOG = """
meters:
  - {code: api_calls, event_type: api.request, aggregation: count}
plans:
  - code: team
    name: Team
    currency: USD
    interval: month
    prices:
      - {code: platform, model: flat, amount: "49.00"}
      - {code: seats, model: per_unit, amount: "9.00"}
      - code: api_calls
        model: graduated
        meter: api_calls
        tiers:
          - {up_to: 10000, unit_price: "0"}
          - {up_to: 100000, unit_price: "0.0015"}
          - {up_to: null, unit_price: "0.001"}
"""


class AggregatedUsage:
    """A ``UsageSource`` answering from one pre-aggregated number per customer."""

    def __init__(self, quantities: dict[str, Decimal]) -> None:
        self.quantities = quantities
        self.marked = 0

    def quantity(self, workspace_id: str, customer_id: str, meter: Meter, period: Period) -> Decimal | None:
        return self.quantities.get(customer_id, Decimal(0))

    def mark_billed(self, workspace_id: str, customer_id: str, meter_codes: Sequence[str], period: Period) -> None:
        self.marked += 1


def _seed(engine: Engine, count: int) -> tuple[str, AggregatedUsage]:
    with engine.begin() as conn:
        ws = create_workspace(conn, f"bench-{uuid.uuid4().hex[:8]}", START)["id"]
    with transaction(engine, ws, "bench", START) as scope:
        entity = create_legal_entity(scope, {"code": "us", "name": "Bench Inc", "currency": "USD", "country": "US",
                                             "invoice_prefix": "BN"})
        set_tax_rate(scope, "us", "US", "0")
        apply_catalog(scope, load_catalog(CATALOG, "bench.yaml"))
        plan_id = current_plan(scope, "team").id
        usage = _bulk_subscriptions(scope, entity["id"], plan_id, count)
    return ws, usage


def _bulk_subscriptions(scope: Scope, entity_id: str, plan_id: str, count: int) -> AggregatedUsage:
    """Rows written in bulk (the services' per-row checks are not what is measured)."""
    cust, subs, amds, phases, usage = [], [], [], [], {}
    for i in range(count):
        cid, sid = new_id("cus"), new_id("sub")
        cust.append({"id": cid, "workspace_id": scope.workspace_id, "key": f"c{i:06d}", "name": f"Customer {i}",
                     "email": None, "currency": "USD", "timezone": "UTC", "country": "US", "region": None,
                     "tax_id": None, "tax_exempt": False, "legal_entity_id": entity_id, "created_at": START,
                     "updated_at": START})
        subs.append({"id": sid, "workspace_id": scope.workspace_id, "customer_id": cid, "currency": "USD",
                     "billing_anchor": START, "started_at": START, "trial_end": None, "ends_at": None,
                     "revision": 1, "created_at": START, "updated_at": START})
        amds.append({"id": new_id("amd"), "workspace_id": scope.workspace_id, "subscription_id": sid,
                     "kind": "start", "effective_at": START, "plan_version_id": plan_id, "quantity": 1 + i % 20,
                     "note": None, "created_at": START})
        phases.append({"id": new_id("phs"), "workspace_id": scope.workspace_id, "subscription_id": sid, "seq": 0,
                       "starts_at": START, "ends_at": None, "plan_version_id": plan_id, "quantity": 1 + i % 20,
                       "trial": False})
        usage[cid] = Decimal(5_000 + (i * 7919) % 200_000)
    for table, rows in ((customers, cust), (subscriptions, subs), (subscription_amendments, amds),
                        (subscription_phases, phases)):
        for start in range(0, len(rows), 2000):
            scope.conn.execute(table.insert(), rows[start:start + 2000])
    return AggregatedUsage(usage)


def _measure(engine: Engine, label: str, count: int) -> None:
    ws, usage = _seed(engine, count)
    started = time.perf_counter()
    first = bill_workspace(engine, ws, lambda scope: usage, AS_OF, now=AS_OF, chunk=1000)
    first_s = time.perf_counter() - started
    assert len(first.invoices) == count and not first.failed, (len(first.invoices), first.failed[:3])
    started = time.perf_counter()
    second = bill_workspace(engine, ws, lambda scope: usage, AS_OF, now=AS_OF, chunk=1000)
    second_s = time.perf_counter() - started
    assert second.issued == 0
    print(f"{label}_billing_run_s: {first_s:.2f} s", flush=True)
    print(f"{label}_second_run_s: {second_s:.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 subscriptions instead of 10,000")
    parser.add_argument("--subscriptions", type=int, default=None)
    args = parser.parse_args()
    count = args.subscriptions or (500 if args.quick else 10_000)
    print(f"subscriptions: {count} count", flush=True)
    print(f"load_average_start: {os.getloadavg()[0]:.2f} 1min", flush=True)  # figures vary with the machine's load
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        _measure(engine, "sqlite", count)
        engine.dispose()
    name = f"revbridge_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"pg_skipped: 1 ({str(exc).strip()})")
        return
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        engine = open_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
        upgrade(engine)
        _measure(engine, "pg", count)
        engine.dispose()
        print(f"load_average_end: {os.getloadavg()[0]:.2f} 1min", flush=True)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
