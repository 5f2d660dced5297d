"""The audit log: append-only and hash-chained, per workspace.

Each entry's hash covers its content and the previous entry's hash, so removing or
editing a past entry breaks every hash after it; ``verify_chain`` finds the first break.
Entries store digests of the before/after states rather than the states themselves, so
the log proves what changed without copying customer data into it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, select

from revbridge.ids import new_id
from revbridge.scope import Scope
from revbridge.store.tables import audit_log

GENESIS = "0" * 64


def digest(state: Any) -> str | None:
    """A stable digest of a JSON-able state (``None`` stays ``None``)."""
    if state is None:
        return None
    text = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _entry_hash(prev: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev + json.dumps(fields, sort_keys=True, default=str)).encode()).hexdigest()


def record(
    scope: Scope,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry; the caller's transaction commits it with the change it describes."""
    conn = scope.conn
    last = conn.execute(
        select(audit_log.c.seq, audit_log.c.hash)
        .where(audit_log.c.workspace_id == scope.workspace_id)
        .order_by(audit_log.c.seq.desc())
        .limit(1)
        .with_for_update()
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    fields = {
        "seq": seq,
        "at": scope.now.isoformat(),
        "actor": scope.actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before_digest": digest(before),
        "after_digest": digest(after),
        "detail": detail,
    }
    conn.execute(
        audit_log.insert().values(
            id=new_id("aud"),
            workspace_id=scope.workspace_id,
            seq=seq,
            at=scope.now,
            actor=scope.actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before_digest=fields["before_digest"],
            after_digest=fields["after_digest"],
            detail=detail,
            prev_hash=prev,
            hash=_entry_hash(prev, fields),
        )
    )


def verify_chain(scope: Scope) -> int | None:
    """The seq of the first entry whose hash does not hold, or ``None`` if the chain is whole."""
    prev = GENESIS
    rows = scope.conn.execute(
        select(audit_log).where(audit_log.c.workspace_id == scope.workspace_id).order_by(audit_log.c.seq)
    )
    for row in rows:
        fields = {
            "seq": row.seq,
            "at": row.at.isoformat(),
            "actor": row.actor,
            "action": row.action,
            "entity_type": row.entity_type,
            "entity_id": row.entity_id,
            "before_digest": row.before_digest,
            "after_digest": row.after_digest,
            "detail": row.detail,
        }
        if row.prev_hash != prev or row.hash != _entry_hash(prev, fields):
            return int(row.seq)
        prev = row.hash
    return None


def count_entries(scope: Scope) -> int:
    return int(
        scope.conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.workspace_id == scope.workspace_id)
        ).scalar_one()
    )
