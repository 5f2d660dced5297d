"""``revbridge billing|invoice|tax-rate ...``: runs, documents, previews and tax rates.

Thin calls into ``revbridge.billing``, the same services the API uses.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from revbridge.billing import documents as docs
from revbridge.billing import preview, taxes
from revbridge.billing.run import RunSummary, bill_workspace
from revbridge.billing.settings import set_grace_period
from revbridge.billing.sources import usage_for
from revbridge.cli.context import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit,
    emit_json,
    emit_table,
    engine,
    in_workspace,
    parse_instant,
    show,
)
from revbridge.cli.subscriptions import subscription_app
from revbridge.workspaces import find_workspace

billing_app = typer.Typer(help="Billing runs and billing settings.", no_args_is_help=True)
invoice_app = typer.Typer(help="Invoices and credit notes: list, show, finalise, credit, void, preview.",
                          no_args_is_help=True)
tax_rate_app = typer.Typer(help="Tax rates per legal entity and reverse-charge zones.", no_args_is_help=True)

DOC_COLUMNS = ["number", "kind", "state", "customer_key", "currency", "subtotal", "tax_total", "total", "id"]
LINE_COLUMNS = ["seq", "description", "service", "quantity", "unit_price", "amount", "tax_amount"]


def print_summary(summary: RunSummary, as_json: bool) -> None:
    if as_json:
        emit_json(summary.as_dict())
        return
    rows = [{**d, "kind": "invoice"} for d in summary.invoices] + [{**d, "kind": "credit note"}
                                                                   for d in summary.credit_notes]
    if rows:
        emit_table("documents issued", rows, ["number", "kind", "customer", "currency", "total", "lines"])
    if summary.drafts:
        emit_table("drafts (grace period)", summary.drafts, ["id", "customer", "currency", "lines"])
    for failure in summary.failed:
        console.print(f"[red]not billed:[/red] {failure['customer']}: {failure['error']}", markup=True)
    console.print(
        f"as of {show(summary.as_of)}: {summary.customers} customer(s), {len(summary.invoices)} invoice(s), "
        f"{len(summary.credit_notes)} credit note(s), {len(summary.drafts)} draft(s), "
        f"{summary.finalized_drafts} draft(s) finalised, {len(summary.failed)} failed"
    )


@billing_app.command("run")
def run(
    as_of: str | None = typer.Option(None, "--as-of", help="bill what is due by this instant (default: now)"),
    customer: str | None = typer.Option(None, "--customer", help="only this customer (id or key)"),
    allow_backdated: bool = typer.Option(False, "--allow-backdated", help="run as of a billed instant"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Issue, for each customer, the difference between expected and issued charges."""
    eng = engine()
    with eng.connect() as conn:
        ws_id = find_workspace(conn, workspace)["id"]
    columns = (TextColumn("billing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("billing", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = bill_workspace(eng, ws_id, usage_for, parse_instant(as_of, "--as-of"), customer,
                                 allow_backdated, actor="cli", progress=tick)
    print_summary(summary, as_json)
    if summary.failed:
        raise typer.Exit(1)


@billing_app.command("grace")
def grace(seconds: int, workspace: str = WorkspaceOpt) -> None:
    """Keep a run's documents as drafts for this many seconds before finalising them."""
    with in_workspace(workspace) as scope:
        set_grace_period(scope, seconds)
    console.print(f"grace period: {seconds} s")


@billing_app.command("finalize-due")
def finalize_due_(workspace: str = WorkspaceOpt) -> None:
    """Finalise the drafts whose grace period is over."""
    from revbridge.billing.run import finalize_due

    with in_workspace(workspace) as scope:
        count = finalize_due(scope)
    console.print(f"{count} draft(s) finalised")


def _lines(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for line in doc["lines"]:
        span = f"{show(line['service_start'])[:10]} .. {show(line['service_end'])[:10]}" if line["service_start"] else "-"
        out.append({**line, "service": span})
    return out


def print_document(doc: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(doc)
        return
    title = f"{doc['kind'].replace('_', ' ')} {doc['number'] or '(draft)'}"
    console.print(f"[bold]{title}[/bold]  {doc['state']}  customer {doc['customer_key']}  {doc['currency']}  "
                  f"id {doc['id']}" + (f"  credits {doc['credit_of']}" if doc["credit_of"] else ""))
    emit_table("lines", _lines(doc), LINE_COLUMNS)
    for line in doc["lines"]:
        rating = line.get("tier_breakdown") or {}
        for tier in rating.get("tiers", []):
            console.print(f"  line {line['seq']} tier {tier['tier']} ({tier['from']}, {tier['up_to'] or 'inf'}]: "
                          f"{tier['units']} x {tier['unit_price']} = {tier['amount']}", markup=False)
    console.print(f"subtotal {doc['subtotal']}  tax {doc['tax_total']}  total [bold]{doc['total']}[/bold] "
                  f"{doc['currency']}" + (f"  ({doc['tax_note']})" if doc["tax_note"] else ""))


@invoice_app.command("list")
def list_(
    customer: str | None = typer.Option(None, "--customer"),
    kind: str | None = typer.Option(None, "--kind", help="invoice or credit_note"),
    state: str | None = typer.Option(None, "--state", help="draft, finalized or void"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """List invoices and credit notes."""
    with in_workspace(workspace) as scope:
        rows = [docs.get_document(scope, r.id) for r in docs.list_documents(scope, customer, kind, state, 500).rows]
    for row in rows:
        row.pop("lines")
    emit(rows, as_json, "invoices and credit notes", DOC_COLUMNS)


@invoice_app.command("show")
def show_(doc_id: str, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Show a document (by id or number) with its lines, service periods and tiers."""
    with in_workspace(workspace) as scope:
        doc = docs.get_document(scope, doc_id)
    print_document(doc, as_json)


@invoice_app.command("create")
def create(customer: str, notes: str | None = typer.Option(None, "--notes"), workspace: str = WorkspaceOpt,
           as_json: bool = JsonOpt) -> None:
    """Open a draft invoice for one-off charges."""
    with in_workspace(workspace) as scope:
        doc = docs.create_draft(scope, customer, notes)
    print_document(doc, as_json)


@invoice_app.command("add-line")
def add_line(doc_id: str, description: str, unit_price: str, quantity: str = typer.Option("1", "--quantity"),
             workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Add a one-off charge to a draft."""
    with in_workspace(workspace) as scope:
        doc = docs.add_line(scope, doc_id, description, unit_price, quantity)
    print_document(doc, as_json)


@invoice_app.command("finalize")
def finalize(doc_id: str, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Number and freeze a draft, and enqueue its delivery."""
    with in_workspace(workspace) as scope:
        doc = docs.finalize_document(scope, doc_id)
    print_document(doc, as_json)


@invoice_app.command("void")
def void(doc_id: str, reason: str = typer.Option(..., "--reason"), workspace: str = WorkspaceOpt,
         as_json: bool = JsonOpt) -> None:
    """Void a finalised invoice by a full credit note."""
    with in_workspace(workspace) as scope:
        doc = docs.void_invoice(scope, doc_id, reason)
    print_document(doc, as_json)


@invoice_app.command("credit")
def credit(doc_id: str, reason: str = typer.Option(..., "--reason"),
           amount: str | None = typer.Option(None, "--amount", help="omit to credit the whole invoice"),
           workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Issue a credit note for an amount or for the whole invoice."""
    with in_workspace(workspace) as scope:
        doc = docs.credit_invoice(scope, doc_id, reason, amount)
    print_document(doc, as_json)


def print_preview(result: dict[str, Any], title: str) -> None:
    if not result["documents"]:
        console.print(f"{title}: nothing to issue")
    for doc in result["documents"]:
        console.print(f"[bold]{title}[/bold]: {doc['kind'].replace('_', ' ')} as of a run at "
                      f"{show(result['run_at'])}")
        rows = [{**line, "service": f"{show(line['service_start'])[:10]} .. {show(line['service_end'])[:10]}"}
                for line in doc["lines"]]
        emit_table("lines", rows, ["description", "service", "quantity", "amount", "tax_amount"])
        console.print(f"subtotal {doc['subtotal']}  tax {doc['tax_total']}  total [bold]{doc['total']}[/bold] "
                      f"{doc['currency']}")


@invoice_app.command("preview")
def preview_(customer: str, as_of: str | None = typer.Option(None, "--as-of"), workspace: str = WorkspaceOpt,
             as_json: bool = JsonOpt) -> None:
    """The upcoming invoice: what a run at the end of the current period would issue."""
    with in_workspace(workspace) as scope:
        result = preview.preview_upcoming(scope, usage_for(scope), customer, parse_instant(as_of, "--as-of"))
    if as_json:
        emit_json(result)
    else:
        print_preview(result, f"upcoming for {result['customer']}")


@subscription_app.command("preview-change")
def preview_change(sub_id: str, plan: str, effective_at: str = typer.Option(..., "--at"),
                   workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """What a plan change would issue, without applying it."""
    with in_workspace(workspace) as scope:
        result = preview.preview_plan_change(scope, usage_for(scope), sub_id, plan,
                                             parse_instant(effective_at, "--at"))  # type: ignore[arg-type]
    if as_json:
        emit_json(result)
        return
    print_preview(result["immediate"], "on the change")
    print_preview(result["upcoming"], "next invoice")


@tax_rate_app.command("set")
def set_rate(entity: str, country: str, rate: str, region: str | None = typer.Option(None, "--region"),
             name: str | None = typer.Option(None, "--name"), workspace: str = WorkspaceOpt,
             as_json: bool = JsonOpt) -> None:
    """Set the rate (percent) an entity charges customers in a country (and region)."""
    with in_workspace(workspace) as scope:
        row = taxes.set_tax_rate(scope, entity, country, rate, region, name)
    emit(row, as_json, "tax rate", ["legal_entity", "country", "region", "rate", "name"])


@tax_rate_app.command("list")
def list_rates(entity: str | None = typer.Option(None, "--entity"), workspace: str = WorkspaceOpt,
               as_json: bool = JsonOpt) -> None:
    """List tax rates."""
    with in_workspace(workspace) as scope:
        rows = taxes.list_tax_rates(scope, entity)
    emit(rows, as_json, "tax rates", ["legal_entity", "country", "region", "rate", "name"])


@tax_rate_app.command("zone")
def zone(entity: str, countries: str, workspace: str = WorkspaceOpt) -> None:
    """Set the reverse-charge zone: EU, none, or a comma-separated list of countries."""
    with in_workspace(workspace) as scope:
        row = taxes.set_reverse_charge_zone(scope, entity, countries)
    console.print(f"{row['legal_entity']}: reverse charge between {', '.join(row['reverse_charge_zone']) or 'none'}")
