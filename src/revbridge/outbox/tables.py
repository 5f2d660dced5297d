"""The outbox table: one row per intended external effect.

``id`` is an integer sequence, so "earlier" is well defined across processes: a job runs
only after every earlier job of the same ``aggregate`` is done (an invoice is delivered
before its payment). ``key`` is the deterministic idempotency key, unique per workspace.

Done jobs pile up for good (they are the record of what was sent), so the two indexes
the claim query walks are partial and hold only live rows: ``due`` orders the pending
and running jobs by when they may next run (for a running job that is the end of its
lease, so a job whose worker died comes due again by itself), and ``open`` answers "is
an earlier job of this aggregate not done yet?" without visiting the aggregate's history.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, text

from revbridge.store.tables import metadata
from revbridge.store.types import JSONDoc, UTCDateTime

_LIVE = text("state IN ('pending', 'running')")
_OPEN = text("state <> 'done'")

outbox_jobs = Table(
    "outbox_jobs",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("aggregate", String(255), nullable=False),
    Column("sink", String(64), nullable=False),
    Column("payload", JSONDoc(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("lease_expires_at", UTCDateTime()),
    Column("locked_by", String(128)),
    Column("last_error", Text()),
    Column("correlation_id", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime()),
    UniqueConstraint("workspace_id", "key"),
    Index("ix_outbox_jobs_due", "next_attempt_at", "id", postgresql_where=_LIVE, sqlite_where=_LIVE),
    Index("ix_outbox_jobs_open", "workspace_id", "aggregate", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),
)
