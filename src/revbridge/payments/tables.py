"""Payments and refunds, and how much of each is applied to which document."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from revbridge.store.tables import metadata
from revbridge.store.types import Amount, UTCDateTime

payments = Table(
    "payments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False),
    Column("customer_id", String(40), ForeignKey("customers.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # payment | refund
    Column("refund_of", String(40), ForeignKey("payments.id")),
    Column("currency", String(3), nullable=False),
    Column("amount", Amount(), nullable=False),  # positive for both kinds
    Column("received_at", UTCDateTime(), nullable=False),
    Column("method", String(32), nullable=False),
    Column("source", String(16), nullable=False),  # manual | stripe | odoo
    Column("reference", String(255), nullable=False),
    Column("note", Text()),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("workspace_id", "source", "reference"),
    Index(None, "workspace_id", "customer_id"),
)

applications = Table(
    "payment_applications",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False),
    Column("customer_id", String(40), ForeignKey("customers.id"), nullable=False),
    Column("document_id", String(40), ForeignKey("documents.id"), nullable=False),
    Column("payment_id", String(40), ForeignKey("payments.id")),  # a payment or a refund (negative amount)
    Column("credit_note_id", String(40), ForeignKey("documents.id")),  # or a credit note
    Column("amount", Amount(), nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
    Index(None, "workspace_id", "document_id"),
)
