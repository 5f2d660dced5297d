"""The outbox table: one row per intended external effect.

``id`` is an integer sequence, so "earlier" is well defined across processes: a job runs
only after every earlier job of the same ``aggregate`` is done (an invoice is delivered
before its payment). ``key`` is the deterministic idempotency key, unique per workspace.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from revbridge.store.tables import metadata
from revbridge.store.types import JSONDoc, UTCDateTime

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
    Index(None, "state", "next_attempt_at"),
    Index(None, "workspace_id", "aggregate", "id"),
)
