"""What revbridge synced to Odoo: one row per revbridge record, with Odoo's id, name and totals.

It answers "which Odoo move is invoice US-2026-000042" for people and for the
reconciliation of totals here against totals in the ERP, without a call to Odoo.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, UniqueConstraint

from revbridge.store.tables import metadata
from revbridge.store.types import Amount, UTCDateTime

odoo_links = Table(
    "odoo_links",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False),
    Column("entity_type", String(32), nullable=False),  # document | payment
    Column("entity_id", String(64), nullable=False),
    Column("odoo_model", String(64), nullable=False),
    Column("odoo_id", Integer(), nullable=False),
    Column("odoo_name", String(128)),
    Column("state", String(32)),
    Column("amount_total", Amount()),
    Column("synced_at", UTCDateTime(), nullable=False),
    UniqueConstraint("workspace_id", "entity_type", "entity_id"),
)
