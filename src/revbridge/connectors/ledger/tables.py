"""Ledger entries and their postings; one entry per delivery key, so never twice."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from revbridge.store.tables import metadata
from revbridge.store.types import Amount, UTCDateTime

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("date", UTCDateTime(), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reference", String(255), nullable=False),
    Column("description", Text(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("source_id", String(40), nullable=False),
    Column("correlation_id", String(255)),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("workspace_id", "key"),
    Index(None, "workspace_id", "date"),
)

ledger_postings = Table(
    "ledger_postings",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False),
    Column("entry_id", String(40), ForeignKey("ledger_entries.id"), nullable=False),
    Column("account", String(128), nullable=False),
    Column("customer_id", String(40)),
    Column("debit", Amount(), nullable=False),
    Column("credit", Amount(), nullable=False),
    Index(None, "workspace_id", "account"),
)
