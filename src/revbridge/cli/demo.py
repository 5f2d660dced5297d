"""``revbridge demo``: a realistic SaaS company set up from nothing, then summarised.

It runs on the configured database (by default ``revbridge.db`` in the working
directory), rebuilds the ``demo`` workspace from scratch each time so a re-run prints
the same story, and goes through the same application services as the API and CLI.
The demo's clock is fixed (``DEMO_NOW``) so its output does not depend on the day.
"""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

import typer

from revbridge.catalog import customers, entities, subscriptions
from revbridge.catalog.apply import apply_catalog
from revbridge.catalog.spec import load_catalog
from revbridge.catalog.versions import latest_plans
from revbridge.cli.catalog import print_diff
from revbridge.cli.context import console, emit_table, engine, show
from revbridge.domain.period import utc
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
    subscriptions.change_plan(scope, subs["acme"], "growth", utc(2026, 1, 15))  # backdated: recorded on Feb 3
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
        _summary(scope, subs)
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
