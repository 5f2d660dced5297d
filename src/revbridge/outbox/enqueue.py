"""Write the intent to act, in the same transaction as the change that causes it.

``enqueue`` is all a producer (billing, payments, recognition) needs: it inserts one
pending job, or does nothing when a job with the same idempotency key exists, so a
retried or replayed producer cannot ask for the same effect twice (principle 2). The
payload names the entity (``{"invoice_id": ...}``); the worker re-reads the entity's
current state when it runs, so a replay after a fix sends the fixed data. Once the
producer's transaction commits, idle workers are woken (``wakeup.announce``).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from revbridge.log import current_context
from revbridge.outbox.tables import outbox_jobs
from revbridge.outbox.wakeup import announce
from revbridge.scope import Scope


class JobState(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


def enqueue(
    scope: Scope,
    kind: str,
    key: str,
    aggregate: str,
    payload: dict[str, Any],
    sink: str = "default",
) -> int:
    """Record a job in ``scope``'s transaction; returns its id (the existing one for a known key)."""
    existing = scope.conn.execute(
        select(outbox_jobs.c.id).where(outbox_jobs.c.workspace_id == scope.workspace_id, outbox_jobs.c.key == key)
    ).first()
    if existing is not None:
        return int(existing.id)
    values = {
        "workspace_id": scope.workspace_id,
        "kind": kind,
        "key": key,
        "aggregate": aggregate,
        "sink": sink,
        "payload": payload,
        "state": JobState.PENDING.value,
        "attempts": 0,
        "next_attempt_at": scope.now,
        "correlation_id": current_context().get("correlation_id"),
        "created_at": scope.now,
        "updated_at": scope.now,
    }
    try:
        with scope.conn.begin_nested():
            result = scope.conn.execute(outbox_jobs.insert().values(**values))
    except IntegrityError:  # a concurrent producer wrote the same key first
        row = scope.conn.execute(
            select(outbox_jobs.c.id).where(outbox_jobs.c.workspace_id == scope.workspace_id, outbox_jobs.c.key == key)
        ).one()
        return int(row.id)
    announce(scope.conn)
    inserted = result.inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def enqueue_many(scope: Scope, jobs: Sequence[tuple[str, str, str, dict[str, Any], str]]) -> None:
    """Record many jobs ``(kind, key, aggregate, payload, sink)`` at once; known keys are skipped.

    The bulk path of a billing run: one statement instead of a look-up and an insert per
    job, with the same guarantee (``ON CONFLICT DO NOTHING`` on the workspace's key).
    """
    if not jobs:
        return
    from revbridge.ingest.store import dialect_insert

    correlation_id = current_context().get("correlation_id")
    rows = [
        {"workspace_id": scope.workspace_id, "kind": kind, "key": key, "aggregate": aggregate, "sink": sink,
         "payload": payload, "state": JobState.PENDING.value, "attempts": 0, "next_attempt_at": scope.now,
         "correlation_id": correlation_id, "created_at": scope.now, "updated_at": scope.now}
        for kind, key, aggregate, payload, sink in jobs
    ]
    stmt = dialect_insert(scope.conn)(outbox_jobs).on_conflict_do_nothing(index_elements=["workspace_id", "key"])
    scope.conn.execute(stmt, rows)
    announce(scope.conn)
