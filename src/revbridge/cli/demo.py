"""``revbridge demo``: a realistic SaaS company set up from nothing, then summarised.

It runs on the configured database (by default ``revbridge.db`` in the working
directory), rebuilds the ``demo`` workspace from scratch each time so a re-run prints
the same story, and goes through the same application services as the API and CLI.
The demo's clock is fixed (``DEMO_NOW``) so its output does not depend on the day.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import typer

from revbridge.billing import documents as docs
from revbridge.billing import preview, taxes
from revbridge.billing.run import RunSummary, run_billing
from revbridge.catalog import customers, entities, subscriptions
from revbridge.catalog.apply import apply_catalog
from revbridge.catalog.spec import load_catalog
from revbridge.catalog.versions import latest_plans
from revbridge.cli.catalog import print_diff
from revbridge.cli.context import console, emit_table, engine, show
from revbridge.domain.period import Period, utc
from revbridge.ingest.envelope import UsageEvent
from revbridge.ingest.reference import quantity as reference_quantity
from revbridge.ingest.usage import InMemoryUsage
from revbridge.scope import Scope, transaction
from revbridge.workspaces import Role, create_api_key, create_workspace, delete_workspace, find_workspace

DEMO_WORKSPACE = "demo"
DEMO_NOW = utc(2026, 2, 3, 9)

LEGAL_ENTITIES = [
    {"code": "us", "name": "Cloudly Inc.", "currency": "USD", "country": "US", "invoice_prefix": "US"},
    {"code": "eu", "name": "Cloudly GmbH", "currency": "EUR", "country": "DE", "invoice_prefix": "EU",
     "prices_include_tax": False, "tax_rounding": "round_globally"},
]
CUSTOMERS = [
    {"key": "acme", "name": "Acme Corp", "country": "US", "email": "billing@acme.example", "legal_entity": "us",
     "timezone": "America/New_York", "external_ids": {"product": "tenant-acme", "crm": "hs-1001"}},
    {"key": "globex", "name": "Globex", "country": "US", "email": "ap@globex.example", "legal_entity": "us",
     "timezone": "America/Chicago", "external_ids": {"product": "tenant-globex", "crm": "hs-1002"}},
    {"key": "initech", "name": "Initech GmbH", "country": "DE", "email": "rechnung@initech.example",
     "legal_entity": "eu", "timezone": "Europe/Berlin", "tax_id": "DE123456789",
     "external_ids": {"product": "tenant-initech"}},
    {"key": "umbrella", "name": "Umbrella Health", "country": "US", "legal_entity": "us",
     "external_ids": {"product": "tenant-umbrella"}},
    {"key": "hooli", "name": "Hooli", "country": "US", "legal_entity": "us", "external_ids": {"product": "tenant-hooli"}},
]


def catalog_text() -> str:
    return resources.files("revbridge").joinpath("examples/catalog.yaml").read_text(encoding="utf-8")


def _subscribe(scope: Scope) -> dict[str, str]:
    """The demo's subscriptions, including a backdated upgrade and a seat change."""
    subs = {}
    subs["acme"] = subscriptions.create_subscription(scope, "acme", "starter", utc(2026, 1, 1), trial_days=0)["id"]
    # acme's backdated upgrade (to growth from Jan 15, recorded on Feb 3) is made by
    # ``_upgrade_acme`` after January has been billed, so the demo shows its credit note.
    subs["globex"] = subscriptions.create_subscription(scope, "globex", "growth", utc(2026, 1, 1), quantity=10)["id"]
    subscriptions.change_quantity(scope, subs["globex"], 14, utc(2026, 1, 20))
    subs["initech"] = subscriptions.create_subscription(scope, "initech", "growth_eu", utc(2026, 1, 1), quantity=5)["id"]
    subs["umbrella"] = subscriptions.create_subscription(scope, "umbrella", "enterprise", utc(2026, 1, 1), quantity=25)["id"]
    subs["hooli"] = subscriptions.create_subscription(scope, "hooli", "starter", utc(2026, 1, 20), trial_days=14)["id"]
    subscriptions.cancel(scope, subs["hooli"], at_period_end=True)
    return subs


def _reset(name: str) -> None:
    eng = engine()
    with eng.begin() as conn:
        try:
            delete_workspace(conn, find_workspace(conn, name)["id"])
        except Exception:  # noqa: BLE001 - absent on the first run
            pass
        create_workspace(conn, name, DEMO_NOW)


def demo(workspace: str = typer.Option(DEMO_WORKSPACE, "--workspace", "-w", help="workspace to rebuild")) -> None:
    """Set up a demo SaaS company from nothing and print a summary."""
    started = time.monotonic()
    _reset(workspace)
    with engine().connect() as conn:
        ws_id = find_workspace(conn, workspace)["id"]
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        console.rule(f"[bold]revbridge demo[/bold]  workspace {workspace}, clock {show(DEMO_NOW)}")
        _, secret = create_api_key(scope.conn, ws_id, "demo admin", Role.ADMIN, scope.now)
        for entity in LEGAL_ENTITIES:
            entities.create_legal_entity(scope, entity)
        console.print("\n[bold]Catalog[/bold] from examples/catalog.yaml")
        print_diff(apply_catalog(scope, load_catalog(catalog_text(), "examples/catalog.yaml")), "applied")
        for customer in CUSTOMERS:
            customers.create_customer(scope, customer)
        subs = _subscribe(scope)
        usage = _bill_january(scope)
        _upgrade_acme(scope, subs)
        _summary(scope, subs)
        _bill_february(scope, subs, usage)
    console.print(f"\nAPI key for this workspace (admin): [bold]{secret}[/bold]")
    console.print(f"Done in {time.monotonic() - started:.1f}s. Try: revbridge serve, then GET /v1/customers.")


def _summary(scope: Scope, subs: dict[str, str]) -> None:
    plans = latest_plans(scope)
    rows: list[dict[str, Any]] = []
    for code, stored in sorted(plans.items()):
        for price in stored.plan.prices:
            rows.append({"plan": f"{code} v{stored.version}", "currency": stored.plan.currency, "price": price.code,
                         "model": price.model.value, "timing": price.timing.value, "meter": price.meter,
                         "amount": _price_figure(price)})
    emit_table("Plans and prices", rows, ["plan", "currency", "price", "model", "timing", "meter", "amount"])
    cust_rows = [customers.get_customer(scope, c["key"]) for c in CUSTOMERS]
    for row in cust_rows:
        row["external"] = ", ".join(f"{k}={v}" for k, v in sorted(row["external_ids"].items()))
    emit_table("Customers", cust_rows, ["key", "name", "currency", "country", "timezone", "external"])
    sub_rows = []
    for key, sub_id in subs.items():
        sub = subscriptions.get_subscription(scope, sub_id)
        for i, phase in enumerate(sub["phases"]):
            sub_rows.append({"customer": key if i == 0 else "", "status": sub["status"] if i == 0 else "",
                             **phase, "plan": f"{phase['plan']} v{phase['plan_version']}"})
    emit_table("Subscriptions and their phases", sub_rows,
               ["customer", "status", "plan", "quantity", "trial", "starts_at", "ends_at"])
    before = subscriptions.get_subscription(scope, subs["acme"], utc(2026, 1, 10))
    after = subscriptions.get_subscription(scope, subs["acme"], utc(2026, 1, 20))
    console.print(
        f"Backdated upgrade of acme: as of {show(before['as_of'])} on {before['current']['plan']}, "
        f"as of {show(after['as_of'])} on {after['current']['plan']} (recorded {show(DEMO_NOW)})."
    )


def _price_figure(price: Any) -> str:
    if price.tiers:
        return f"{len(price.tiers)} tiers"
    if price.percent is not None:
        return f"{price.percent}%"
    return str(price.amount)


# --- billing: January and February 2026 ----------------------------------------------

TAX_RATES = [("us", "US", "0", "No sales tax"), ("eu", "DE", "19", "USt 19 %")]
# Demo usage per day: (api calls, GB stored, payment volume) per customer.
USAGE_PROFILES = {"acme": (300, 40, 0), "globex": (600, 310, 9000), "initech": (250, 120, 0),
                  "umbrella": (500, 900, 0), "hooli": (30, 2, 0)}


class _IndexedUsage(InMemoryUsage):
    """``InMemoryUsage`` with events filed by customer and type, so the demo's month of
    events is not scanned whole for every quantity."""

    def add(self, events: Any) -> None:
        super().add(events)
        self._index: dict[tuple[str, str], list[UsageEvent]] = {}
        for event in self.events:
            self._index.setdefault((event.customer_id, event.type), []).append(event)

    def quantity(self, workspace_id: str, customer_id: str, meter: Any, period: Period) -> Decimal | None:
        return reference_quantity(meter, self._index.get((customer_id, meter.event_type), []), period, customer_id)


def _usage_event(n: int, kind: str, customer: dict[str, Any], at: datetime, data: dict[str, Any]) -> UsageEvent:
    return UsageEvent(source="//app.skyline.example", id=f"demo-{n}", type=kind, subject=customer["key"],
                      customer_id=customer["id"], time=at, data=data, extensions={}, digest="", payload=b"")


def demo_usage(scope: Scope, start: datetime, end: datetime, seed: int = 7) -> InMemoryUsage:
    """The demo's usage over ``[start, end)``: generated events held in memory.

    The one place the billing demo gets usage from: swap it for the usage store (ingest
    the events, return ``SqlUsage(scope)``) and the rest of the demo stays the same.
    """
    rng = random.Random(seed)
    events: list[UsageEvent] = []
    day = start
    while day < end:
        for key, (calls, gb, volume) in USAGE_PROFILES.items():
            customer = customers.get_customer(scope, key)
            for _ in range(int(calls * rng.uniform(0.8, 1.2))):
                at = day + timedelta(seconds=rng.randrange(86_400))
                events.append(_usage_event(len(events), "api.request", customer, at, {"status": 200}))
            growth = Decimal(1) + Decimal((day - start).days) / Decimal(100)
            events.append(_usage_event(len(events), "storage.snapshot", customer, day + timedelta(hours=23),
                                       {"gb": (Decimal(gb) * growth).quantize(Decimal("0.01"))}))
            if volume:
                events.append(_usage_event(len(events), "payment.captured", customer, day + timedelta(hours=12),
                                           {"amount": Decimal(volume)}))
        day += timedelta(days=1)
    usage = _IndexedUsage()
    usage.add(events)
    return usage


def _at(scope: Scope, now: datetime) -> Scope:
    return replace(scope, now=now)


def _bill_january(scope: Scope) -> InMemoryUsage:
    """Tax rates, then the runs of Jan 1 (fees in advance) and Feb 1 (January's usage)."""
    for entity, country, rate, name in TAX_RATES:
        taxes.set_tax_rate(scope, entity, country, rate, name=name)
    usage = demo_usage(scope, utc(2026, 1, 1), DEMO_NOW)
    console.print("\n[bold]Billing[/bold] (usage: generated events in memory)")
    for moment in (utc(2026, 1, 1), utc(2026, 2, 1)):
        _print_run(run_billing(_at(scope, moment), usage, moment))
    return usage


def _upgrade_acme(scope: Scope, subs: dict[str, str]) -> None:
    subscriptions.change_plan(scope, subs["acme"], "growth", utc(2026, 1, 15))  # backdated: recorded on Feb 3


def _bill_february(scope: Scope, subs: dict[str, str], usage: InMemoryUsage) -> None:
    """The backdated upgrade's credit note, a late usage batch, then a preview."""
    console.print("acme's upgrade from Jan 15 is recorded on Feb 3; the next run issues only the difference:")
    _print_run(run_billing(scope, usage, DEMO_NOW))
    globex = customers.get_customer(scope, "globex")
    late = [_usage_event(900_000 + i, "payment.captured", globex, utc(2026, 1, 31, 20), {"amount": Decimal(50_000)})
            for i in range(2)]
    usage.add(late)
    console.print("A late batch of globex payments for Jan 31 arrives; the run bills the difference:")
    _print_run(run_billing(_at(scope, DEMO_NOW + timedelta(hours=1)), usage, DEMO_NOW + timedelta(hours=1)))
    rows = [docs.get_document(scope, r.id) for r in docs.list_documents(scope, limit=500).rows]
    rows.sort(key=lambda d: (d["finalized_at"], d["number"]))
    for row in rows:
        row["credits"] = next((d["number"] for d in rows if d["id"] == row["credit_of"]), None)
    emit_table("Invoices and credit notes", rows,
               ["number", "kind", "customer_key", "currency", "subtotal", "tax_total", "total", "credits"])
    upcoming = preview.preview_upcoming(scope, usage, "globex", DEMO_NOW)
    for doc in upcoming["documents"]:
        console.print(f"Preview: globex's next invoice (a run at {show(upcoming['run_at'])}) would be "
                      f"{doc['total']} {doc['currency']} over {len(doc['lines'])} line(s).")


def _print_run(summary: RunSummary) -> None:
    issued = [f"{d['number']} {d['customer']} {d['total']}" for d in summary.invoices + summary.credit_notes]
    console.print(f"  run as of {show(summary.as_of)}: " + ("; ".join(issued) if issued else "nothing to issue"))
