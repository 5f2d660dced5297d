"""Retention of raw events: purge what is older than the workspace keeps, and say so.

Billing re-rates a period from its raw events, so a purged period can no longer be
recomputed. The purge therefore records a watermark (``usage_purged_before`` in the
workspace settings) and every usage query for a period that starts before it refuses
with a clear error instead of silently rating fewer events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from revbridge.errors import ConflictError
from revbridge.ingest.keys import forget_keys
from revbridge.ingest.rollups import forget_before
from revbridge.ingest.tables import usage_events
from revbridge.scope import Scope
from revbridge.store.tables import workspaces
from revbridge.workspaces import workspace_settings

WATERMARK = "usage_purged_before"


def purge_expired(scope: Scope, dry_run: bool = False) -> dict[str, Any]:
    """Delete raw events older than ``usage_retention_days``; returns what was (or would be) purged."""
    settings = workspace_settings(scope.conn, scope.workspace_id)
    days = settings.get("usage_retention_days")
    if not days:
        return {"purged": 0, "before": None, "retention_days": None}
    cutoff = scope.now - timedelta(days=int(days))
    where = (usage_events.c.workspace_id == scope.workspace_id) & (usage_events.c.time < cutoff)
    count = int(scope.conn.execute(select(func.count()).select_from(usage_events).where(where)).scalar_one())
    if not dry_run and count:
        forget_keys(scope.conn, scope.workspace_id, where)
        scope.conn.execute(delete(usage_events).where(where))
        forget_before(scope.conn, scope.workspace_id, cutoff)
        previous = purged_before(scope)
        if previous is None or cutoff > previous:
            settings[WATERMARK] = cutoff.isoformat()
            scope.conn.execute(update(workspaces).where(workspaces.c.id == scope.workspace_id).values(settings=settings))
    return {"purged": count, "before": cutoff, "retention_days": days}


def purged_before(scope: Scope) -> datetime | None:
    value = workspace_settings(scope.conn, scope.workspace_id).get(WATERMARK)
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
