"""``revbridge demo``: a realistic SaaS company set up from nothing, then summarised.

It runs on the configured database (by default ``revbridge.db`` in the working
directory), rebuilds the ``demo`` workspace from scratch each time so a re-run prints
the same story, and goes through the same application services as the API and CLI.
The demo's clock is fixed (``DEMO_NOW``) so its output does not depend on the day.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import typer
from sqlalchemy import select

from revbridge.billing import documents as docs
from revbridge.billing import preview, taxes
from revbridge.billing.run import RunSummary, run_billing
from revbridge.catalog import customers, entities, subscriptions
from revbridge.catalog.apply import apply_catalog
from revbridge.catalog.spec import load_catalog
from revbridge.catalog.versions import latest_plans, stored_meters
from revbridge.cli.catalog import print_diff
from revbridge.cli.context import console, emit_table, engine, settings, show
from revbridge.connectors.ledger.reports import trial_balance
from revbridge.connectors.odoo.tables import odoo_links
from revbridge.domain.period import Period, utc
from revbridge.errors import NotFoundError
from revbridge.ingest import quarantine
from revbridge.ingest.meters import SqlUsage, customer_quantity
from revbridge.ingest.store import late_usage
from revbridge.outbox.failures import PermanentError, RetryableError
from revbridge.outbox.handlers import Job, Registry
from revbridge.outbox.replay import JobFilter, list_jobs, replay_jobs
from revbridge.outbox.retry import RetryPolicy
from revbridge.outbox.sinks import build_registry
from revbridge.outbox.worker import Worker
from revbridge.payments import service as payments
from revbridge.scope import Scope, transaction
from revbridge.workspaces import (
    Role,
    create_api_key,
    create_workspace,
    delete_workspace,
    find_workspace,
    set_workspace_setting,
)

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
        with contextlib.suppress(NotFoundError):  # absent on the first run
            delete_workspace(conn, find_workspace(conn, name)["id"])
        create_workspace(conn, name, DEMO_NOW)


def demo(workspace: str = typer.Option(DEMO_WORKSPACE, "--workspace", "-w", help="workspace to rebuild")) -> None:
    """Set up a demo SaaS company from nothing, run a month of it through revbridge, summarise."""
    started = time.monotonic()
    _reset(workspace)
    with engine().connect() as conn:
        ws_id = find_workspace(conn, workspace)["id"]
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        console.rule(f"[bold]revbridge demo[/bold]  workspace {workspace}, clock {show(DEMO_NOW)}")
        _, secret = create_api_key(scope.conn, ws_id, "demo admin", Role.ADMIN, scope.now)
        _, ingest_key = create_api_key(scope.conn, ws_id, "demo product", Role.INGEST, scope.now)
        for entity in LEGAL_ENTITIES:
            entities.create_legal_entity(scope, entity)
        for entity, country, rate, name in TAX_RATES:
            taxes.set_tax_rate(scope, entity, country, rate, name=name)
        console.print("\n[bold]Catalog[/bold] from examples/catalog.yaml")
        print_diff(apply_catalog(scope, load_catalog(catalog_text(), "examples/catalog.yaml")), "applied")
        for customer in CUSTOMERS:
            customers.create_customer(scope, customer)
        subs = _subscribe(scope)
        odoo = configure_odoo(scope)
    from revbridge.cli.demo_usage import month_of_usage  # the web stack, only for the command that runs it

    send_usage(ws_id, ingest_key, month_of_usage(Period(utc(2026, 1, 1), DEMO_NOW)), "January's usage")
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        _summary(scope, subs)
        _bill_january(scope)
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        _upgrade_acme(scope, subs)
    _bill_february(ws_id, ingest_key)
    with transaction(engine(), ws_id, "demo", DEMO_NOW + timedelta(hours=2)) as scope:
        _collect(scope)
    deliver_and_report(ws_id, odoo)
    console.print(f"\nAPI key for this workspace (admin): [bold]{secret}[/bold]")
    console.print(f"Done in {time.monotonic() - started:.1f}s. Try: revbridge serve, then GET /v1/invoices.")


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


def send_usage(ws_id: str, ingest_key: str, events: list[dict[str, Any]], what: str) -> None:
    """Post ``events`` through the real ``POST /v1/events`` and show what came of them."""
    from revbridge.cli.demo_usage import send_through_http

    sent = send_through_http(engine(), ingest_key, events, DEMO_NOW)
    console.print(f"\n[bold]{what}[/bold]: {len(events):,} events over HTTP in {sent.batches} batches, "
                  f"{sent.counts['received'] / max(sent.seconds, 1e-6):,.0f} events/s")
    emit_table("Ingest counts", [sent.counts], ["received", "accepted", "duplicate", "rejected"])
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        held = quarantine.list_exceptions(scope, "open", None, 20).rows
    for row in held:
        row["why"] = "; ".join(f"{p['field']}: {p['reason']}" for p in row["problems"])
    if held:
        emit_table("Quarantined, to fix and replay", held, ["reason", "event_id", "why"])


def _usage_rows(scope: Scope, period: Period) -> list[dict[str, Any]]:
    meters = stored_meters(scope)
    rows = []
    for customer in CUSTOMERS:
        cust = customers.get_customer(scope, customer["key"])
        row: dict[str, Any] = {"customer": customer["key"]}
        for code in ("api_calls", "storage_gb", "tokens", "payment_volume"):
            row[code] = customer_quantity(scope.conn, scope.workspace_id, cust["id"], meters[code].meter, period)
        rows.append(row)
    return rows


def _at(scope: Scope, now: datetime) -> Scope:
    return replace(scope, now=now)


def _bill_january(scope: Scope) -> None:
    """The runs of Jan 1 (fees in advance) and Feb 1 (January's usage), from the usage store."""
    january = Period(utc(2026, 1, 1), utc(2026, 2, 1))
    emit_table(f"Usage per customer, {show(january.start)[:7]}", _usage_rows(scope, january),
               ["customer", "api_calls", "storage_gb", "tokens", "payment_volume"])
    console.print("\n[bold]Billing[/bold] (usage read from the usage store)")
    for moment in (utc(2026, 1, 1), utc(2026, 2, 1)):
        _print_run(run_billing(_at(scope, moment), SqlUsage(_at(scope, moment)), moment))


def _upgrade_acme(scope: Scope, subs: dict[str, str]) -> None:
    subscriptions.change_plan(scope, subs["acme"], "growth", utc(2026, 1, 15))  # backdated: recorded on Feb 3


def _bill_february(ws_id: str, ingest_key: str) -> None:
    """The backdated upgrade's credit note, a late usage batch, then a preview."""
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        console.print("acme's upgrade from Jan 15 is recorded on Feb 3; the next run issues only the difference:")
        _print_run(run_billing(scope, SqlUsage(scope), DEMO_NOW))
    late = [{"specversion": "1.0", "id": f"late-{i}", "source": "//app.skyline.example", "type": "payment.captured",
             "subject": "tenant-globex", "time": "2026-01-31T20:00:00Z", "data": {"amount": 50_000}} for i in range(2)]
    send_usage(ws_id, ingest_key, late, "A late batch of globex payments for Jan 31")
    later = DEMO_NOW + timedelta(hours=1)
    with transaction(engine(), ws_id, "demo", later) as scope:
        console.print(f"late usage waiting for billing: {len(late_usage(scope))} period(s); the run bills the difference:")
        _print_run(run_billing(scope, SqlUsage(scope), later))
        upcoming = preview.preview_upcoming(scope, SqlUsage(scope), "globex", later)
        for doc in upcoming["documents"]:
            console.print(f"Preview: globex's next invoice (a run at {show(upcoming['run_at'])}) would be "
                          f"{doc['total']} {doc['currency']} over {len(doc['lines'])} line(s).")


def _collect(scope: Scope) -> None:
    """Customers pay: acme all it owes, globex part of it, by bank transfer."""
    for key, share in (("acme", Decimal(1)), ("globex", Decimal("0.5")), ("initech", Decimal(1))):
        for line in payments.balance(scope, key)["balances"]:
            amount = (line["receivable"] * share).quantize(Decimal("0.01"))
            if amount > 0:
                payments.record_payment(scope, key, amount, currency=line["currency"], reference=f"wire-{key}",
                                        source="bank", method="bank_transfer")


class _Mishaps:
    """Two things that go wrong in real deliveries, injected into the demo's ledger sink:
    a transient failure (retried with backoff) and a permanent one (dead until a person
    fixes the cause and replays the job)."""

    def __init__(self, flaky: str, broken: str) -> None:
        self.flaky, self.broken, self.fixed, self.failed_once = flaky, broken, False, False

    def wrap(self, registry: Registry) -> Registry:
        book = registry.route("ledger", "invoice.finalized").scoped
        assert book is not None

        def handler(scope: Scope, job: Job) -> None:
            if job.payload["document_id"] == self.flaky and not self.failed_once:
                self.failed_once = True
                raise RetryableError("injected: the ledger database was busy")
            if job.payload["document_id"] == self.broken and not self.fixed:
                raise PermanentError("injected: no revenue account is mapped for this invoice's lines")
            book(scope, job)

        return registry.on_in_transaction("ledger", "invoice.finalized", handler)


def _deliver(ws_id: str) -> int:
    """Drain the outbox, showing a retried failure and a dead job replayed after its fix."""
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        invoices = [r.id for r in docs.list_documents(scope, kind="invoice", limit=500).rows]
    mishaps = _Mishaps(flaky=invoices[0], broken=invoices[1])
    worker = Worker(engine(), mishaps.wrap(build_registry(settings())), policy=RetryPolicy(base=0.05, cap=0.2))
    delivered = worker.drain()
    time.sleep(0.3)  # the retried job's backoff
    delivered += worker.drain()
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        dead, _ = list_jobs(scope, JobFilter(state="dead"), limit=10)
        for job in dead:
            console.print(f"\n[red]dead[/red] job {job['id']} ({job['kind']} to {job['sink']}): {job['last_error']}")
    console.print("A retried failure: " + ("the first invoice's ledger delivery failed once and went through on "
                                            "retry." if mishaps.failed_once else "none."))
    mishaps.fixed = True  # the person maps the account...
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        replayed = replay_jobs(scope, [job["id"] for job in dead]) if dead else []
    delivered += worker.drain()
    console.print(f"...fixes the mapping and replays {len(replayed)} dead job(s): delivered.")
    return delivered


def deliver_and_report(ws_id: str, odoo: bool) -> None:
    """Run the outbox through (ledger, and Odoo when configured), then show the books."""
    delivered = _deliver(ws_id)
    with transaction(engine(), ws_id, "demo", DEMO_NOW) as scope:
        rows = [docs.get_document(scope, r.id) for r in docs.list_documents(scope, limit=500).rows]
        rows.sort(key=lambda d: (d["finalized_at"], d["number"]))
        names = {r.entity_id: r.odoo_name for r in scope.conn.execute(
            select(odoo_links).where(odoo_links.c.workspace_id == ws_id))}
        for row in rows:
            row["credits"] = next((d["number"] for d in rows if d["id"] == row["credit_of"]), None)
            row["paid"] = payments.payment_status(row["total"], row["amount_due"]) if row["kind"] == "invoice" else ""
            row["odoo"] = names.get(row["id"])
        columns = ["number", "customer_key", "currency", "tax_total", "total", "paid", "credits"]
        emit_table("Invoices and credit notes", rows, columns + (["odoo"] if odoo else []))
        jobs, _ = list_jobs(scope, limit=500)
        states: dict[str, int] = {}
        for job in jobs:
            states[f"{job['sink']}:{job['state']}"] = states.get(f"{job['sink']}:{job['state']}", 0) + 1
        console.print(f"\n[bold]Outbox[/bold]: {delivered} jobs delivered now; by sink and state {states}")
        trial = [r.as_dict() for r in trial_balance(scope, Period(utc(2026, 1, 1), utc(2026, 3, 1)))]
        emit_table("Ledger trial balance, January-February 2026", trial,
                   ["account", "currency", "debit", "credit", "closing"])


def configure_odoo(scope: Scope) -> bool:
    """When ``REVBRIDGE_ODOO_URL`` is set, deliver the demo's invoices to that Odoo too."""
    url = os.environ.get("REVBRIDGE_ODOO_URL")
    if not url:
        return False
    entity = {"company_id": int(os.environ.get("REVBRIDGE_ODOO_COMPANY", "1")),
              "sale_journal_id": int(os.environ.get("REVBRIDGE_ODOO_SALE_JOURNAL", "1")),
              "payment_journal_id": int(os.environ.get("REVBRIDGE_ODOO_BANK_JOURNAL", "6"))}
    section = {"workspace": "demo", "url": url, "db": os.environ.get("REVBRIDGE_ODOO_DB", "odoo_test"),
               "login": os.environ.get("REVBRIDGE_ODOO_LOGIN", "admin"), "api_key_secret": "odoo_key",
               "legal_entities": {"us": {**entity, "currency": "USD"}}}  # Cloudly GmbH keeps its books elsewhere
    set_workspace_setting(scope.conn, scope.workspace_id, "odoo", section)
    console.print(f"Odoo at {url}: Cloudly Inc.'s invoices, credit notes and payments are delivered there too.")
    return True


def _print_run(summary: RunSummary) -> None:
    issued = [f"{d['number']} {d['customer']} {d['total']}" for d in summary.invoices + summary.credit_notes]
    console.print(f"  run as of {show(summary.as_of)}: " + ("; ".join(issued) if issued else "nothing to issue"))
