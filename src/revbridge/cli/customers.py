"""``revbridge legal-entity ...`` and ``revbridge customer ...``."""

from __future__ import annotations

from typing import Any

import typer

from revbridge.catalog import customers as svc
from revbridge.catalog import entities
from revbridge.cli.context import JsonOpt, WorkspaceOpt, emit, in_workspace

entity_app = typer.Typer(help="Legal entities: who sells, in which currency, with which tax settings.", no_args_is_help=True)
customer_app = typer.Typer(help="Customers and their external ids.", no_args_is_help=True)

ENTITY_COLUMNS = ["id", "code", "name", "currency", "country", "prices_include_tax", "tax_rounding", "invoice_prefix"]
CUSTOMER_COLUMNS = ["id", "key", "name", "currency", "country", "timezone", "tax_id"]


@entity_app.command("create")
def entity_create(
    code: str,
    name: str = typer.Option(..., "--name"),
    currency: str = typer.Option(..., "--currency"),
    country: str = typer.Option(..., "--country"),
    invoice_prefix: str = typer.Option(..., "--invoice-prefix"),
    prices_include_tax: bool = typer.Option(False, "--prices-include-tax/--prices-exclude-tax"),
    tax_rounding: str = typer.Option("round_per_line", "--tax-rounding", help="round_per_line or round_globally"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Create a legal entity."""
    data = {"code": code, "name": name, "currency": currency, "country": country, "invoice_prefix": invoice_prefix,
            "prices_include_tax": prices_include_tax, "tax_rounding": tax_rounding}
    with in_workspace(workspace) as scope:
        row = entities.create_legal_entity(scope, data)
    emit(row, as_json, "legal entity created", ENTITY_COLUMNS)


@entity_app.command("list")
def entity_list(workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """List legal entities."""
    with in_workspace(workspace) as scope:
        rows = [dict(r._mapping) for r in entities.list_legal_entities(scope, limit=500).rows]
    emit(rows, as_json, "legal entities", ENTITY_COLUMNS)


@customer_app.command("create")
def customer_create(
    key: str,
    name: str = typer.Option(..., "--name"),
    country: str = typer.Option(..., "--country"),
    email: str | None = typer.Option(None, "--email"),
    currency: str | None = typer.Option(None, "--currency", help="defaults to the legal entity's"),
    timezone: str = typer.Option("UTC", "--timezone"),
    tax_id: str | None = typer.Option(None, "--tax-id"),
    legal_entity: str | None = typer.Option(None, "--legal-entity"),
    external: list[str] = typer.Option([], "--external-id", help="SYSTEM=ID, e.g. product=tenant-42"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Create a customer."""
    data: dict[str, Any] = {"key": key, "name": name, "country": country, "email": email, "currency": currency,
                            "timezone": timezone, "tax_id": tax_id, "legal_entity": legal_entity,
                            "external_ids": _pairs(external)}
    with in_workspace(workspace) as scope:
        row = svc.create_customer(scope, {k: v for k, v in data.items() if v is not None})
    emit(row, as_json, "customer created", CUSTOMER_COLUMNS)


def _pairs(items: list[str]) -> dict[str, str]:
    from revbridge.errors import ValidationError

    out = {}
    for item in items:
        system, sep, value = item.partition("=")
        if not sep:
            raise ValidationError("--external-id", "expected SYSTEM=ID", item)
        out[system] = value
    return out


@customer_app.command("list")
def customer_list(workspace: str = WorkspaceOpt, as_json: bool = JsonOpt, limit: int = 100) -> None:
    """List customers."""
    with in_workspace(workspace) as scope:
        rows = [dict(r._mapping) for r in svc.list_customers(scope, limit=limit).rows]
    emit(rows, as_json, "customers", CUSTOMER_COLUMNS)


@customer_app.command("show")
def customer_show(customer: str, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Show one customer (by id or key) with its external ids."""
    with in_workspace(workspace) as scope:
        row = svc.get_customer(scope, customer)
    row["external_ids"] = ", ".join(f"{k}={v}" for k, v in sorted(row["external_ids"].items())) if not as_json else row["external_ids"]
    emit(row, as_json, f"customer {row['key']}", [*CUSTOMER_COLUMNS, "email", "external_ids"])


@customer_app.command("link")
def customer_link(customer: str, system: str, external_id: str, workspace: str = WorkspaceOpt) -> None:
    """Attach an external id (product, crm, odoo, stripe, ...) to a customer."""
    with in_workspace(workspace) as scope:
        found = svc.get_customer(scope, customer)
        svc.link_external_id(scope, found["id"], system, external_id)
    emit({"customer": found["key"], "system": system, "external_id": external_id}, False, "linked",
         ["customer", "system", "external_id"])
