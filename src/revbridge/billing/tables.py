"""Billing's tables: documents and their lines, numbering, tax rates, coupons, run state.

Why these shapes:

- ``documents`` holds invoices and credit notes alike (``kind``), since both are
  numbered from the legal entity's sequences, both are finalised once and both carry
  lines that the billing run sums per charge key. Amounts on a credit note are stored
  positive, as Odoo stores a refund; the sign comes from ``kind``.
- ``document_lines.charge_key`` is what the difference engine groups by; ``due_at``
  is when the charge fell due, so a run as of an earlier instant ignores lines that
  were not due then. Lines written by hand have ``source`` ``manual`` and no key.
- ``billing_state`` has one row per customer: the row a run locks (``FOR UPDATE`` on
  PostgreSQL) to serialise two runs for the same customer, and the customer's
  ``billed_through`` instant that refuses an accidental backdated run.
- ``document_sequences`` has one row per legal entity, series and year: the counter
  locked at finalisation, so numbers are gapless.
- ``tax_rates`` stores ``region`` as ``""`` for "the whole country", because a unique
  constraint treats NULLs as distinct on both backends.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from revbridge.store.tables import metadata, workspace_column
from revbridge.store.types import Amount, JSONDoc, UTCDateTime

billing_runs = Table(
    "billing_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("as_of", UTCDateTime(), nullable=False),
    Column("customer_id", String(40)),
    Column("allow_backdated", Boolean(), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("summary", JSONDoc()),
    Column("created_at", UTCDateTime(), nullable=False),
)

billing_state = Table(
    "billing_state",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("customer_id", String(40), ForeignKey("customers.id"), primary_key=True),
    Column("billed_through", UTCDateTime()),
    Column("last_run_id", String(40)),
    Column("updated_at", UTCDateTime(), nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("number", String(64)),
    Column("legal_entity_id", String(40), ForeignKey("legal_entities.id"), nullable=False),
    Column("customer_id", String(40), ForeignKey("customers.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit_of", String(40), ForeignKey("documents.id")),
    Column("billing_run_id", String(40)),
    Column("reason", Text()),
    Column("notes", Text()),
    Column("tax_note", Text()),
    Column("subtotal", Amount(), nullable=False),
    Column("tax_total", Amount(), nullable=False),
    Column("total", Amount(), nullable=False),
    Column("amount_paid", Amount(), nullable=False),
    Column("amount_due", Amount(), nullable=False),
    Column("finalize_after", UTCDateTime()),
    Column("finalized_at", UTCDateTime()),
    Column("voided_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("workspace_id", "legal_entity_id", "number"),
    Index(None, "workspace_id", "customer_id", "state"),
)

document_lines = Table(
    "document_lines",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("document_id", String(40), ForeignKey("documents.id"), nullable=False),
    Column("seq", Integer(), nullable=False),
    Column("source", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("description", Text(), nullable=False),
    Column("charge_key", String(255)),
    Column("subscription_id", String(40)),
    Column("plan_version_id", String(40)),
    Column("price_id", String(40)),
    Column("price_code", String(64)),
    Column("meter_code", String(64)),
    Column("period_start", UTCDateTime()),
    Column("period_end", UTCDateTime()),
    Column("service_start", UTCDateTime()),
    Column("service_end", UTCDateTime()),
    Column("due_at", UTCDateTime()),
    Column("quantity", Amount(), nullable=False),
    Column("unit_price", Amount(), nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("tax_rate", Amount(), nullable=False),
    Column("tax_amount", Amount(), nullable=False),
    Column("tier_breakdown", JSONDoc()),
    Column("revenue_rule", String(32)),
    Column("correlation_id", String(255)),
    UniqueConstraint("document_id", "seq"),
    Index(None, "workspace_id", "charge_key"),
)

document_sequences = Table(
    "document_sequences",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("legal_entity_id", String(40), ForeignKey("legal_entities.id"), primary_key=True),
    Column("series", String(16), primary_key=True),
    Column("year", Integer(), primary_key=True),
    Column("last_number", Integer(), nullable=False),
)

tax_rates = Table(
    "tax_rates",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("legal_entity_id", String(40), ForeignKey("legal_entities.id"), nullable=False),
    Column("country", String(2), nullable=False),
    Column("region", String(16), nullable=False),
    Column("rate", Amount(), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("legal_entity_id", "country", "region"),
)

entity_tax_settings = Table(
    "entity_tax_settings",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("legal_entity_id", String(40), ForeignKey("legal_entities.id"), primary_key=True),
    Column("reverse_charge_zone", JSONDoc(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

coupons = Table(
    "coupons",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("subscription_id", String(40), ForeignKey("subscriptions.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("duration", String(16), nullable=False),
    Column("amount_off", Amount()),
    Column("percent_off", Amount()),
    Column("currency", String(3)),
    Column("periods", Integer()),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("subscription_id", "code"),
)
