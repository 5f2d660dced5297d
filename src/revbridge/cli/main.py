"""The ``revbridge`` command: its groups, and errors turned into messages and exit codes."""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import OperationalError

from revbridge.cli.billing import billing_app, invoice_app, tax_rate_app
from revbridge.cli.catalog import catalog_app
from revbridge.cli.context import err_console
from revbridge.cli.customers import customer_app, entity_app
from revbridge.cli.demo import demo
from revbridge.cli.events import events_app, exceptions_app, usage_app
from revbridge.cli.jobs import jobs_app, worker
from revbridge.cli.odoo import odoo_app
from revbridge.cli.payments import ledger_app, payment_app
from revbridge.cli.subscriptions import subscription_app
from revbridge.cli.system import config_app, db_app, serve
from revbridge.cli.workspace import apikey_app, workspace_app
from revbridge.errors import RevbridgeError, StoreError, ValidationError

app = typer.Typer(
    name="revbridge",
    help="Usage-to-cash for SaaS companies that keep their books in Odoo.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(workspace_app, name="workspace")
app.add_typer(apikey_app, name="apikey")
app.add_typer(entity_app, name="legal-entity")
app.add_typer(customer_app, name="customer")
app.add_typer(catalog_app, name="catalog")
app.add_typer(subscription_app, name="subscription")
app.add_typer(billing_app, name="billing")
app.add_typer(invoice_app, name="invoice")
app.add_typer(tax_rate_app, name="tax-rate")
app.add_typer(events_app, name="events")
app.add_typer(usage_app, name="usage")
app.add_typer(exceptions_app, name="exceptions")
app.add_typer(jobs_app, name="jobs")
app.add_typer(payment_app, name="payment")
app.add_typer(ledger_app, name="ledger")
app.add_typer(odoo_app, name="odoo")
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.command("serve")(serve)
app.command("demo")(demo)
app.command("worker")(worker)

EXIT_REFUSED = 1
EXIT_UNAVAILABLE = 3


def run() -> None:
    """Entry point: run the app; a refusal prints its problems and exits 1, an outage 3."""
    try:
        app()
    except ValidationError as exc:
        err_console.print(f"[red]refused:[/red] {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            err_console.print(f"  {problem}", markup=False)
        sys.exit(EXIT_REFUSED)
    except StoreError as exc:
        err_console.print(f"[red]unavailable:[/red] {exc}")
        sys.exit(EXIT_UNAVAILABLE)
    except OperationalError as exc:
        err_console.print(f"[red]database unavailable:[/red] {exc.orig}")
        sys.exit(EXIT_UNAVAILABLE)
    except RevbridgeError as exc:
        err_console.print("[red]refused:[/red]", end=" ")
        err_console.print(str(exc), markup=False)
        sys.exit(EXIT_REFUSED)
