"""``revbridge payment ...`` and ``revbridge ledger ...``."""

from __future__ import annotations

from pathlib import Path

import typer

from revbridge.catalog.customers import list_customers
from revbridge.cli.context import JsonOpt, WorkspaceOpt, console, emit, emit_json, in_workspace, parse_instant
from revbridge.connectors.ledger.book import read_entries
from revbridge.connectors.ledger.export import to_beancount, to_csv
from revbridge.connectors.ledger.reports import general_ledger, month, trial_balance
from revbridge.errors import ValidationError
from revbridge.payments import service

payment_app = typer.Typer(help="Payments and refunds, applied to invoices.", no_args_is_help=True)
ledger_app = typer.Typer(help="The local double-entry ledger.", no_args_is_help=True)
PAYMENT_COLUMNS = ["id", "kind", "customer_id", "amount", "currency", "received_at", "source", "reference"]


@payment_app.command("record")
def record(
    customer: str,
    amount: str,
    invoice: str | None = typer.Option(None, "--invoice", help="settle this invoice first"),
    reference: str | None = typer.Option(None, "--reference", help="the bank or gateway reference (idempotent)"),
    source: str = typer.Option("manual", "--source", help="manual, bank, stripe or odoo"),
    at: str | None = typer.Option(None, "--at", help="when the money arrived"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record money received from a customer; it settles open invoices, oldest first."""
    with in_workspace(workspace) as scope:
        row = service.record_payment(scope, customer, amount, received_at=parse_instant(at, "--at"),
                                     reference=reference, source=source, invoice=invoice)
    _show(row, as_json)


def _show(row: dict, as_json: bool) -> None:
    if as_json:
        emit_json(row)
        return
    emit(row, False, row["kind"], PAYMENT_COLUMNS)
    for applied in row["applied"]:
        console.print(f"  applied {applied['amount']} to {applied['number']}")


@payment_app.command("refund")
def refund(payment_id: str, amount: str | None = typer.Option(None, "--amount", help="default: all that is left"),
           note: str | None = typer.Option(None, "--note"), workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Return money of a payment to the customer."""
    with in_workspace(workspace) as scope:
        row = service.record_refund(scope, payment_id, amount, note=note)
    _show(row, as_json)


@payment_app.command("list")
def list_(customer: str | None = typer.Option(None, "--customer"), workspace: str = WorkspaceOpt,
          as_json: bool = JsonOpt) -> None:
    """Payments and refunds, oldest first."""
    with in_workspace(workspace) as scope:
        rows = service.list_payments(scope, customer)
    emit(rows, as_json, "payments", PAYMENT_COLUMNS)


@payment_app.command("balance")
def balance(customer: str | None = typer.Argument(None), workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """What customers owe: open invoices less unapplied credit, per currency."""
    with in_workspace(workspace) as scope:
        keys = [customer] if customer else [r.key for r in list_customers(scope, limit=500).rows]
        rows = [{"customer": b["customer"], **line} for b in (service.balance(scope, k) for k in keys)
                for line in b["balances"]]
    emit(rows, as_json, "balances", ["customer", "currency", "open_invoices", "unapplied_credit", "receivable"])


@ledger_app.command("trial-balance")
def trial(period: str = typer.Option(..., "--period", help="a month: 2026-01"), workspace: str = WorkspaceOpt,
          as_json: bool = JsonOpt) -> None:
    """Opening balance, debits, credits and closing balance per account for a month."""
    with in_workspace(workspace) as scope:
        rows = [r.as_dict() for r in trial_balance(scope, month(period))]
    emit(rows, as_json, f"trial balance {period}", ["account", "currency", "opening", "debit", "credit", "closing"])


@ledger_app.command("entries")
def entries(period: str = typer.Option(..., "--period"), account: str | None = typer.Option(None, "--account"),
            workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """The general ledger of a month, optionally for one account."""
    with in_workspace(workspace) as scope:
        rows = general_ledger(scope, month(period), account)
    emit(rows, as_json, f"general ledger {period}",
         ["date", "reference", "account", "currency", "debit", "credit", "description"])


@ledger_app.command("export")
def export(period: str | None = typer.Option(None, "--period", help="a month; default: everything"),
           fmt: str = typer.Option("beancount", "--format", help="beancount or csv"),
           out: Path | None = typer.Option(None, "--out", help="write to this file instead of the terminal"),
           workspace: str = WorkspaceOpt) -> None:
    """Export entries as Beancount text or CSV."""
    if fmt not in ("beancount", "csv"):
        raise ValidationError("--format", "beancount or csv", fmt)
    span = month(period) if period else None
    with in_workspace(workspace) as scope:
        items = list(read_entries(scope, span.start if span else None, span.end if span else None))
        keys = {r.id: r.key for r in list_customers(scope, limit=500).rows}
    text = to_beancount(items, keys) if fmt == "beancount" else to_csv(items)
    if out:
        out.write_text(text)
        console.print(f"{len(items)} entries written to {out}")
    else:
        typer.echo(text, nl=False)
