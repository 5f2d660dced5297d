"""Retention of raw events: purge what is older than the workspace keeps, and say so.

Billing re-rates a period from its raw events, so a purged period can no longer be
recomputed. The purge therefore records a watermark (``usage_purged_before`` in the
workspace settings) and every usage query for a period that starts before it refuses
with a clear error instead of silently rating fewer events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, delete, func, select, update

from revbridge.errors import ConflictError
from revbridge.ingest.keys import forget_keys
from revbridge.ingest.reference import Window, window_start
from revbridge.ingest.rollups import forget_before
from revbridge.ingest.tables import usage_events
from revbridge.scope import Scope, transaction, utcnow
from revbridge.store.tables import workspaces
from revbridge.workspaces import workspace_settings

WATERMARK = "usage_purged_before"
PURGE_SPAN = 50_000  # event ids one purge transaction looks at


def purge_expired(
    engine: Engine, workspace_id: str, now: datetime | None = None, dry_run: bool = False, span: int = PURGE_SPAN,
) -> dict[str, Any]:
    """Delete raw events older than ``usage_retention_days``; returns what was (or would be) purged.

    The cutoff is a whole hour (the retention, rounded down), so the hourly rollups it
    drops hold only purged events and those it keeps hold none. The watermark moves
    first, with those rollups, in a transaction of its own: from then on a usage query
    for a period that starts before it refuses, so no reader ever rates the half-purged
    remainder. Then the events go ``span`` ids per transaction, a primary-key range
    each, so purging millions never holds SQLite's single writer for more than a
    moment and ingest goes on meanwhile. A purge stopped halfway keeps its watermark,
    and the next run deletes the rest.
    """
    with transaction(engine, workspace_id, "retention", now or utcnow()) as scope:
        settings = workspace_settings(scope.conn, workspace_id)
        days = settings.get("usage_retention_days")
        if not days:
            return {"purged": 0, "before": None, "retention_days": None}
        cutoff = window_start(scope.now - timedelta(days=int(days)), Window.HOUR)
        ids = _id_range(scope.conn, workspace_id)
        if not dry_run:
            _move_watermark(scope.conn, workspace_id, settings, cutoff)
            forget_before(scope.conn, workspace_id, cutoff)
    if ids is None:
        purged = 0
    elif dry_run:
        purged = _count_expired(engine, workspace_id, cutoff, ids)
    else:
        purged = _delete_expired(engine, workspace_id, cutoff, ids, span)
    return {"purged": purged, "before": cutoff, "retention_days": days}


def _count_expired(engine: Engine, workspace_id: str, cutoff: datetime, ids: tuple[int, int]) -> int:
    """How many of the workspace's events are before ``cutoff``: one read, without the write lock."""
    with engine.connect().execution_options(revbridge_read_only=True) as conn:
        return int(conn.execute(select(func.count()).select_from(usage_events).where(
            _expired(workspace_id, cutoff, ids[0] - 1, ids[1]))).scalar_one())


def _delete_expired(engine: Engine, workspace_id: str, cutoff: datetime, ids: tuple[int, int], span: int) -> int:
    """Delete the workspace's events before ``cutoff``, ``span`` ids per transaction; returns how many."""
    deleted = 0
    for after in range(ids[0] - 1, ids[1], span):
        with engine.begin() as conn:
            doomed = _expired(workspace_id, cutoff, after, min(after + span, ids[1]))
            forget_keys(conn, workspace_id, doomed)
            deleted += conn.execute(delete(usage_events).where(doomed)).rowcount
    return deleted


def _id_range(conn: Connection, workspace_id: str) -> tuple[int, int] | None:
    """The workspace's lowest and highest event ids (None without events), read along the primary key."""
    mine = select(usage_events.c.id).where(usage_events.c.workspace_id == workspace_id)
    low = conn.execute(mine.order_by(usage_events.c.id).limit(1)).scalar()
    high = conn.execute(mine.order_by(usage_events.c.id.desc()).limit(1)).scalar()
    return None if low is None or high is None else (int(low), int(high))


def _expired(workspace_id: str, cutoff: datetime, after: int, through: int) -> ColumnElement[bool]:
    """The workspace's events before ``cutoff`` with ids in ``(after, through]``."""
    return ((usage_events.c.id > after) & (usage_events.c.id <= through)
            & (usage_events.c.workspace_id == workspace_id) & (usage_events.c.time < cutoff))


def _move_watermark(conn: Connection, workspace_id: str, settings: dict[str, Any], cutoff: datetime) -> None:
    """Raise the watermark in ``settings`` (as read in this transaction) to ``cutoff``;
    it never moves back (a shorter retention purged more already)."""
    previous = _watermark(settings)
    if previous is None or cutoff > previous:
        conn.execute(update(workspaces).where(workspaces.c.id == workspace_id).values(
            settings={**settings, WATERMARK: cutoff.isoformat()}))


def purged_before(scope: Scope) -> datetime | None:
    return _watermark(workspace_settings(scope.conn, scope.workspace_id))


def _watermark(settings: dict[str, Any]) -> datetime | None:
    value = settings.get(WATERMARK)
    return datetime.fromisoformat(value) if value else None


def check_not_purged(start: datetime, watermark: datetime | None) -> None:
    """Refuse a usage read that would reach into purged events."""
    if watermark is not None and start < watermark:
        raise ConflictError(
            "period",
            f"raw usage before {watermark.isoformat()} was purged by the retention policy; "
            "this period can no longer be re-rated",
            start.isoformat(),
        )
