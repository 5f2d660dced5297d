"""The exceptions queue: read it, dismiss from it; replay lives in ``ingest.service``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select, update

from revbridge.errors import ConflictError, NotFoundError
from revbridge.ingest.tables import exceptions
from revbridge.scope import Scope
from revbridge.store.paging import decode_cursor, encode_cursor

STATES = ("open", "replayed", "dismissed")


@dataclass(frozen=True)
class ExceptionPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def _view(row: Any) -> dict[str, Any]:
    return {k: v for k, v in row._mapping.items() if k != "workspace_id"}


def list_exceptions(scope: Scope, state: str | None = "open", reason: str | None = None, limit: int = 50,
                    cursor: str | None = None) -> ExceptionPage:
    where = [exceptions.c.workspace_id == scope.workspace_id]
    if state:
        where.append(exceptions.c.state == state)
    if reason:
        where.append(exceptions.c.reason == reason)
    if cursor:
        where.append(exceptions.c.id > decode_cursor(cursor))
    rows = scope.conn.execute(select(exceptions).where(and_(*where)).order_by(exceptions.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return ExceptionPage([_view(r) for r in rows], encode_cursor(rows[-1].id) if more else None)


def with_dead_jobs(scope: Scope, page: ExceptionPage, state: str | None, reason: str | None) -> ExceptionPage:
    """The first page of open exceptions also shows dead outbox jobs: both need a person.

    Dead jobs are not copied into the queue (the job is the record); they are listed
    here with ``reason`` ``dead_job`` and fixed with ``revbridge jobs retry|replay``.
    """
    if state not in (None, "open") or reason not in (None, "dead_job"):
        return page
    from revbridge.outbox.replay import dead_job_exceptions  # the outbox reads ingest's tables too

    rows = [] if reason == "dead_job" else list(page.rows)
    return ExceptionPage(rows + dead_job_exceptions(scope), page.next_cursor)


def get_exception(scope: Scope, exc_id: str) -> dict[str, Any]:
    row = scope.conn.execute(
        select(exceptions).where(exceptions.c.workspace_id == scope.workspace_id, exceptions.c.id == exc_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no exception {exc_id!r} in this workspace")
    return _view(row)


def open_ids(scope: Scope, reason: str | None = None) -> list[str]:
    where = [exceptions.c.workspace_id == scope.workspace_id, exceptions.c.state == "open",
             exceptions.c.kind == "usage_event"]
    if reason:
        where.append(exceptions.c.reason == reason)
    return [r.id for r in scope.conn.execute(select(exceptions.c.id).where(and_(*where)).order_by(exceptions.c.id))]


def dismiss(scope: Scope, exc_id: str) -> dict[str, Any]:
    """Close an exception a person decided not to replay (it stays, for the record)."""
    found = get_exception(scope, exc_id)
    if found["state"] != "open":
        raise ConflictError("state", "only an open exception can be dismissed", found["state"])
    scope.conn.execute(update(exceptions).where(exceptions.c.id == exc_id).values(
        state="dismissed", resolved_at=scope.now, updated_at=scope.now))
    return get_exception(scope, exc_id)
