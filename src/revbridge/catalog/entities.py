"""Legal entities: who sells. Each has a currency, tax settings and an invoice sequence.

The tax settings are the ones finance argues about, so they are explicit per entity:
whether catalog prices include tax, and whether tax is rounded per line or globally
(Odoo's ``round_per_line`` / ``round_globally``: the difference is real cents).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from revbridge import audit
from revbridge.catalog.fields import Checker
from revbridge.errors import ConflictError, NotFoundError
from revbridge.ids import new_id
from revbridge.scope import Scope
from revbridge.store.paging import Page, page
from revbridge.store.tables import legal_entities

TAX_ROUNDING = ("round_per_line", "round_globally")
ROUNDING_MODES = ("half_up", "half_even")


def create_legal_entity(scope: Scope, data: dict[str, Any]) -> dict[str, Any]:
    check = Checker()
    check.key("code", data.get("code"))
    check.text("name", data.get("name"))
    check.currency("currency", data.get("currency"))
    check.country("country", data.get("country"))
    check.choice("tax_rounding", data.get("tax_rounding", "round_per_line"), TAX_ROUNDING)
    check.choice("rounding_mode", data.get("rounding_mode", "half_up"), ROUNDING_MODES)
    check.text("invoice_prefix", data.get("invoice_prefix"), max_len=20)
    if not isinstance(data.get("prices_include_tax", False), bool):
        check.fail("prices_include_tax", "expected true or false", data.get("prices_include_tax"))
    check.done()
    if _by_code(scope, data["code"]) is not None:
        raise ConflictError("code", "a legal entity with this code exists", data["code"])
    row = {
        "id": new_id("le"),
        "workspace_id": scope.workspace_id,
        "code": data["code"],
        "name": data["name"],
        "currency": data["currency"],
        "country": data["country"],
        "prices_include_tax": bool(data.get("prices_include_tax", False)),
        "tax_rounding": data.get("tax_rounding", "round_per_line"),
        "rounding_mode": data.get("rounding_mode", "half_up"),
        "invoice_prefix": data["invoice_prefix"],
        "created_at": scope.now,
    }
    scope.conn.execute(legal_entities.insert().values(**row))
    audit.record(scope, "legal_entity.create", "legal_entity", row["id"], after=row)
    return row


def _by_code(scope: Scope, code: str) -> dict[str, Any] | None:
    row = scope.conn.execute(
        select(legal_entities).where(
            legal_entities.c.workspace_id == scope.workspace_id, legal_entities.c.code == code
        )
    ).first()
    return dict(row._mapping) if row else None


def get_legal_entity(scope: Scope, id_or_code: str) -> dict[str, Any]:
    row = scope.conn.execute(
        select(legal_entities).where(
            legal_entities.c.workspace_id == scope.workspace_id,
            (legal_entities.c.id == id_or_code) | (legal_entities.c.code == id_or_code),
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no legal entity {id_or_code!r} in this workspace")
    return dict(row._mapping)


def list_legal_entities(scope: Scope, limit: int = 50, cursor: str | None = None) -> Page:
    return page(scope.conn, legal_entities, legal_entities.c.workspace_id == scope.workspace_id, limit, cursor)
