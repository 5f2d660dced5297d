"""Customers: the SaaS's accounts, with their external ids in every connected system.

One mapping table holds every external id (product tenant id, CRM account, Odoo
partner, Stripe customer), unique per (workspace, system, external id): the same
Stripe customer can never be attached to two revbridge customers by accident.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from revbridge import audit
from revbridge.catalog.entities import get_legal_entity
from revbridge.catalog.fields import Checker
from revbridge.errors import ConflictError, NotFoundError
from revbridge.ids import new_id
from revbridge.scope import Scope
from revbridge.store.paging import Page, page
from revbridge.store.tables import customers, external_ids, subscriptions

SYSTEMS = ("product", "crm", "hubspot", "salesforce", "odoo", "stripe")
_EDITABLE = ("name", "email", "timezone", "country", "region", "tax_id", "tax_exempt", "currency")


def _check(data: dict[str, Any], check: Checker, *, partial: bool) -> None:
    def given(name: str) -> bool:
        return not partial or name in data

    if given("name"):
        check.text("name", data.get("name"))
    if given("email"):
        check.email("email", data.get("email"))
    if data.get("currency") is not None:
        check.currency("currency", data.get("currency"))
    if given("timezone"):
        check.timezone("timezone", data.get("timezone", "UTC"))
    if given("country"):
        check.country("country", data.get("country"))
    if given("region"):
        check.text("region", data.get("region"), required=False, max_len=16)
    if given("tax_id"):
        check.text("tax_id", data.get("tax_id"), required=False, max_len=64)
    if given("tax_exempt") and not isinstance(data.get("tax_exempt", False), bool):
        check.fail("tax_exempt", "expected true or false", data.get("tax_exempt"))


def create_customer(scope: Scope, data: dict[str, Any]) -> dict[str, Any]:
    """Create a customer; ``external_ids`` (system -> id) may come along."""
    check = Checker()
    check.key("key", data.get("key"))
    _check(data, check, partial=False)
    unknown = set(data) - {"key", "legal_entity", "external_ids", *_EDITABLE}
    for name in sorted(unknown):
        check.fail(name, "unknown field")
    ext = data.get("external_ids") or {}
    _check_external_ids(ext, check)
    check.done()
    entity = get_legal_entity(scope, data.get("legal_entity") or _only_entity(scope))
    if _find(scope.conn, scope.workspace_id, data["key"]) is not None:
        raise ConflictError("key", "a customer with this key exists", data["key"])
    row = {
        "id": new_id("cus"),
        "workspace_id": scope.workspace_id,
        "key": data["key"],
        "name": data["name"],
        "email": data.get("email"),
        "currency": data.get("currency") or entity["currency"],
        "timezone": data.get("timezone", "UTC"),
        "country": data["country"],
        "region": data.get("region"),
        "tax_id": data.get("tax_id"),
        "tax_exempt": bool(data.get("tax_exempt", False)),
        "legal_entity_id": entity["id"],
        "created_at": scope.now,
        "updated_at": scope.now,
    }
    scope.conn.execute(customers.insert().values(**row))
    for system, external_id in ext.items():
        link_external_id(scope, row["id"], system, external_id)
    audit.record(scope, "customer.create", "customer", row["id"], after=row)
    return get_customer(scope, row["id"])


def _check_external_ids(ext: Any, check: Checker) -> None:
    if not isinstance(ext, dict):
        check.fail("external_ids", "expected a mapping of system to id", ext)
        return
    for system, value in ext.items():
        if system not in SYSTEMS:
            check.fail(f"external_ids.{system}", f"unknown system; one of {', '.join(SYSTEMS)}", system)
        check.text(f"external_ids.{system}", value, max_len=256)


def _only_entity(scope: Scope) -> str:
    from revbridge.catalog.entities import list_legal_entities

    rows = list_legal_entities(scope, limit=2).rows
    if len(rows) != 1:
        from revbridge.errors import ValidationError

        raise ValidationError("legal_entity", "required when the workspace has none or several legal entities")
    return str(rows[0].id)


def _find(conn: Connection, workspace_id: str, id_or_key: str) -> Any:
    return conn.execute(
        select(customers).where(
            customers.c.workspace_id == workspace_id,
            (customers.c.id == id_or_key) | (customers.c.key == id_or_key),
        )
    ).first()


def _external_ids(conn: Connection, workspace_id: str, customer_id: str) -> dict[str, str]:
    rows = conn.execute(
        select(external_ids.c.system, external_ids.c.external_id).where(
            external_ids.c.workspace_id == workspace_id,
            external_ids.c.entity_type == "customer",
            external_ids.c.entity_id == customer_id,
        )
    )
    return {r.system: r.external_id for r in rows}


def get_customer(scope: Scope, id_or_key: str) -> dict[str, Any]:
    row = _find(scope.conn, scope.workspace_id, id_or_key)
    if row is None:
        raise NotFoundError(f"no customer {id_or_key!r} in this workspace")
    out = dict(row._mapping)
    out["external_ids"] = _external_ids(scope.conn, scope.workspace_id, row.id)
    return out


def list_customers(scope: Scope, limit: int = 50, cursor: str | None = None) -> Page:
    return page(scope.conn, customers, customers.c.workspace_id == scope.workspace_id, limit, cursor)


def update_customer(scope: Scope, id_or_key: str, changes: dict[str, Any]) -> dict[str, Any]:
    before = get_customer(scope, id_or_key)
    check = Checker()
    for name in sorted(set(changes) - set(_EDITABLE)):
        check.fail(name, "cannot be changed" if name in ("key", "legal_entity", "id") else "unknown field")
    _check(changes, check, partial=True)
    check.done()
    if "currency" in changes and changes["currency"] != before["currency"] and _has_subscription(scope, before["id"]):
        raise ConflictError("currency", "cannot change: the customer has subscriptions in its currency", changes["currency"])
    values = {k: changes[k] for k in _EDITABLE if k in changes}
    scope.conn.execute(update(customers).where(customers.c.id == before["id"]).values(**values, updated_at=scope.now))
    after = get_customer(scope, before["id"])
    audit.record(scope, "customer.update", "customer", before["id"], before=before, after=after)
    return after


def _has_subscription(scope: Scope, customer_id: str) -> bool:
    return scope.conn.execute(
        select(subscriptions.c.id).where(
            subscriptions.c.workspace_id == scope.workspace_id, subscriptions.c.customer_id == customer_id
        ).limit(1)
    ).first() is not None


def link_external_id(scope: Scope, customer_id: str, system: str, external_id: str) -> None:
    """Attach ``external_id`` in ``system`` to a customer; refuses an id used by another."""
    check = Checker()
    _check_external_ids({system: external_id}, check)
    check.done()
    try:
        with scope.conn.begin_nested():
            scope.conn.execute(
                external_ids.insert().values(
                    id=new_id("xid"),
                    workspace_id=scope.workspace_id,
                    entity_type="customer",
                    entity_id=customer_id,
                    system=system,
                    external_id=external_id,
                    created_at=scope.now,
                )
            )
    except IntegrityError:
        raise ConflictError(
            f"external_ids.{system}",
            "already linked: an external id belongs to one customer, and a customer has one id per system",
            external_id,
        ) from None


def resolve_external_id(conn: Connection, workspace_id: str, system: str, external_id: str) -> str | None:
    """The customer id behind ``external_id`` in ``system``, or ``None``."""
    row = conn.execute(
        select(external_ids.c.entity_id).where(
            external_ids.c.workspace_id == workspace_id,
            external_ids.c.entity_type == "customer",
            external_ids.c.system == system,
            external_ids.c.external_id == external_id,
        )
    ).first()
    return None if row is None else str(row.entity_id)
