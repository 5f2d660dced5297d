"""``revbridge subscription ...``: create and amend subscriptions, read them as of an instant."""

from __future__ import annotations

from typing import Any

import typer

from revbridge.catalog import subscriptions as svc
from revbridge.cli.context import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    emit_table,
    in_workspace,
    parse_instant,
    show,
)

subscription_app = typer.Typer(help="Subscriptions and their effective-dated changes.", no_args_is_help=True)
PHASE_COLUMNS = ["starts_at", "ends_at", "plan", "plan_version", "quantity", "trial"]


def print_subscription(sub: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(sub)
        return
    current = sub["current"]
    now_on = f"{current['plan']} v{current['plan_version']} x{current['quantity']}" if current else "-"
    console.print(
        f"[bold]{sub['id']}[/bold]  customer {sub['customer_key']}  {sub['currency']}  "
        f"status [bold]{sub['status']}[/bold] as of {show(sub['as_of'])}  on {now_on}"
    )
    emit_table("phases", sub["phases"], PHASE_COLUMNS)


@subscription_app.command("create")
def create(
    customer: str,
    plan: str,
    starts_at: str = typer.Option(..., "--starts-at", help="2026-01-01 or an RFC 3339 time"),
    quantity: int = typer.Option(1, "--quantity"),
    billing_anchor: str | None = typer.Option(None, "--billing-anchor"),
    trial_days: int | None = typer.Option(None, "--trial-days"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Subscribe a customer to a plan (backdating allowed)."""
    with in_workspace(workspace) as scope:
        sub = svc.create_subscription(
            scope, customer, plan, parse_instant(starts_at, "--starts-at"), quantity,  # type: ignore[arg-type]
            parse_instant(billing_anchor, "--billing-anchor"), trial_days,
        )
    print_subscription(sub, as_json)


@subscription_app.command("show")
def show_(sub_id: str, as_of: str | None = typer.Option(None, "--as-of"), workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Show a subscription and the phase in force as of an instant (default: now)."""
    with in_workspace(workspace) as scope:
        sub = svc.get_subscription(scope, sub_id, parse_instant(as_of, "--as-of"))
    print_subscription(sub, as_json)


@subscription_app.command("list")
def list_(customer: str | None = typer.Option(None, "--customer"), workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """List subscriptions."""
    with in_workspace(workspace) as scope:
        rows = [svc.get_subscription(scope, r.id) for r in svc.list_subscriptions(scope, customer, limit=500).rows]
    for row in rows:
        row["plan"] = row["current"]["plan"] if row["current"] else "-"
    if as_json:
        emit_json(rows)
    else:
        emit_table("subscriptions", rows, ["id", "customer_key", "plan", "status", "started_at", "ends_at"])


@subscription_app.command("change-plan")
def change_plan(sub_id: str, plan: str, effective_at: str = typer.Option(..., "--at"), workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Move a subscription to another plan from an instant (past or future)."""
    with in_workspace(workspace) as scope:
        sub = svc.change_plan(scope, sub_id, plan, parse_instant(effective_at, "--at"))  # type: ignore[arg-type]
    print_subscription(sub, as_json)


@subscription_app.command("change-quantity")
def change_quantity(sub_id: str, quantity: int, effective_at: str = typer.Option(..., "--at"), workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Change the quantity (seats) from an instant."""
    with in_workspace(workspace) as scope:
        sub = svc.change_quantity(scope, sub_id, quantity, parse_instant(effective_at, "--at"))  # type: ignore[arg-type]
    print_subscription(sub, as_json)


@subscription_app.command("cancel")
def cancel(
    sub_id: str,
    effective_at: str | None = typer.Option(None, "--at"),
    at_period_end: bool = typer.Option(False, "--at-period-end"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Cancel at an instant or at the end of the current billing period."""
    with in_workspace(workspace) as scope:
        sub = svc.cancel(scope, sub_id, parse_instant(effective_at, "--at"), at_period_end)
    print_subscription(sub, as_json)
