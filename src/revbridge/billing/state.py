"""Per-customer billing state: the lock two runs queue on, and how far billing has gone.

Why a row per customer: "recompute the difference inside the lock" needs a lock that
covers exactly one customer's documents, taken before the issued lines are read. On
PostgreSQL the rows are created if missing (``ON CONFLICT DO NOTHING``, which waits for
a concurrent creator) and locked with one ``SELECT ... FOR UPDATE`` in customer id
order, so two runs over overlapping customers cannot deadlock. SQLite's
``BEGIN IMMEDIATE`` already admits one writer at a time.

Rows are created once per customer and then only locked: the lock reads each chunk's
existing rows first and inserts only the missing ones, since a run over ten thousand
customers whose rows all exist must cost one statement per chunk, not an insert of
every row again.

``billed_through`` is the latest instant a finalised billing line fell due: a run as of
an earlier instant is refused unless explicitly backdated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from revbridge.billing.batch import chunked, one_of
from revbridge.billing.tables import billing_state
from revbridge.scope import Scope

__all__ = ["advance_billed_through", "advance_many", "lock_customers"]


def lock_customers(scope: Scope, customer_ids: Sequence[str]) -> dict[str, datetime | None]:
    """Lock the customers' state rows (creating them); returns each one's ``billed_through``."""
    ids = sorted(set(customer_ids))
    out: dict[str, datetime | None] = {}
    for chunk in chunked(ids):
        existing = _existing(scope, chunk)
        missing = [c for c in chunk if c not in existing]
        if missing:
            insert = postgresql.insert if scope.conn.dialect.name == "postgresql" else sqlite.insert
            scope.conn.execute(insert(billing_state).on_conflict_do_nothing(), [
                {"workspace_id": scope.workspace_id, "customer_id": c, "updated_at": scope.now} for c in missing])
        out.update(_locked(scope, chunk))
    return out


def _existing(scope: Scope, chunk: Sequence[str]) -> set[str]:
    """Which of ``chunk`` have a state row, without locking (the lock comes after the inserts)."""
    c = billing_state.c
    return set(scope.conn.execute(select(c.customer_id).where(
        c.workspace_id == scope.workspace_id, one_of(scope.conn, c.customer_id, chunk))).scalars())


def _locked(scope: Scope, chunk: Sequence[str]) -> dict[str, datetime | None]:
    c = billing_state.c
    rows = scope.conn.execute(
        select(c.customer_id, c.billed_through)
        .where(c.workspace_id == scope.workspace_id, one_of(scope.conn, c.customer_id, chunk))
        .order_by(c.customer_id)
        .with_for_update()
    )
    return {r.customer_id: r.billed_through for r in rows}


def advance_billed_through(scope: Scope, customer_id: str, due: datetime, run_id: str | None = None) -> None:
    """Move ``billed_through`` forward to ``due`` (never back)."""
    c = billing_state.c
    key = (c.workspace_id == scope.workspace_id) & (c.customer_id == customer_id)
    current = scope.conn.execute(select(c.billed_through).where(key)).first()
    if current is None:
        lock_customers(scope, [customer_id])
        current = scope.conn.execute(select(c.billed_through).where(key)).first()
    assert current is not None
    values: dict[str, object] = {"updated_at": scope.now}
    if current.billed_through is None or due > current.billed_through:
        values["billed_through"] = due
    if run_id is not None:
        values["last_run_id"] = run_id
    scope.conn.execute(update(billing_state).where(key).values(**values))


def advance_many(scope: Scope, dues: dict[str, datetime]) -> None:
    """``advance_billed_through`` for many customers in one statement (rows must exist)."""
    if not dues:
        return
    c = billing_state.c
    stmt = (
        update(billing_state)
        .where(c.workspace_id == scope.workspace_id, c.customer_id == bindparam("cid"))
        .values(billed_through=func.coalesce(c.billed_through, bindparam("due")), updated_at=scope.now)
    )
    scope.conn.execute(stmt, [{"cid": k, "due": v} for k, v in dues.items()])
    later = (
        update(billing_state)
        .where(c.workspace_id == scope.workspace_id, c.customer_id == bindparam("cid"),
               c.billed_through < bindparam("due"))
        .values(billed_through=bindparam("due"))
    )
    scope.conn.execute(later, [{"cid": k, "due": v} for k, v in dues.items()])
