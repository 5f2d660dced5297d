"""The schema, one for SQLite and PostgreSQL. Every row but a workspace's carries its workspace.

Conventions: ids are text made by ``revbridge.ids.new_id``; instants are ``UTCDateTime``;
amounts are ``Amount``; definitions that are versioned as a whole (a meter, a plan
version, a price) are stored as their canonical JSON form beside a content hash.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from revbridge.store.types import JSONDoc, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def workspace_column() -> Column[str]:
    """The ``workspace_id`` every row but a workspace's carries (principle 7)."""
    return Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False)


def _created() -> Column[object]:
    return Column("created_at", UTCDateTime(), nullable=False)


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("settings", JSONDoc(), nullable=False),
    _created(),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("prefix", String(20), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    _created(),
    Column("revoked_at", UTCDateTime()),
    Column("last_used_at", UTCDateTime()),
)

legal_entities = Table(
    "legal_entities",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("country", String(2), nullable=False),
    Column("prices_include_tax", Boolean(), nullable=False),
    Column("tax_rounding", String(20), nullable=False),
    Column("rounding_mode", String(20), nullable=False),
    Column("invoice_prefix", String(20), nullable=False),
    _created(),
    UniqueConstraint("workspace_id", "code"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("key", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320)),
    Column("currency", String(3), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("country", String(2), nullable=False),
    Column("region", String(16)),
    Column("tax_id", String(64)),
    Column("tax_exempt", Boolean(), nullable=False),
    Column("legal_entity_id", String(40), ForeignKey("legal_entities.id"), nullable=False),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("workspace_id", "key"),
)

external_ids = Table(
    "external_ids",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(40), nullable=False),
    Column("system", String(32), nullable=False),
    Column("external_id", String(256), nullable=False),
    _created(),
    UniqueConstraint("workspace_id", "entity_type", "system", "external_id"),
    UniqueConstraint("workspace_id", "entity_type", "entity_id", "system"),
)

meters = Table(
    "meters",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("code", String(64), nullable=False),
    Column("event_type", String(256), nullable=False),
    Column("definition", JSONDoc(), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("workspace_id", "code"),
)

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("plan_code", String(64), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("definition", JSONDoc(), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("workspace_id", "plan_code", "version"),
)

prices = Table(
    "prices",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("plan_version_id", String(40), ForeignKey("plan_versions.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("meter_code", String(64)),
    Column("definition", JSONDoc(), nullable=False),
    UniqueConstraint("plan_version_id", "code"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("customer_id", String(40), ForeignKey("customers.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("billing_anchor", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("trial_end", UTCDateTime()),
    Column("ends_at", UTCDateTime()),
    Column("revision", Integer(), nullable=False),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "workspace_id", "customer_id"),
)

subscription_amendments = Table(
    "subscription_amendments",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("subscription_id", String(40), ForeignKey("subscriptions.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("effective_at", UTCDateTime(), nullable=False),
    Column("plan_version_id", String(40), ForeignKey("plan_versions.id")),
    Column("quantity", Integer()),
    Column("note", Text()),
    _created(),
    UniqueConstraint("subscription_id", "effective_at"),
)

subscription_phases = Table(
    "subscription_phases",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("subscription_id", String(40), ForeignKey("subscriptions.id"), nullable=False),
    Column("seq", Integer(), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime()),
    Column("plan_version_id", String(40), ForeignKey("plan_versions.id"), nullable=False),
    Column("quantity", Integer(), nullable=False),
    Column("trial", Boolean(), nullable=False),
    UniqueConstraint("subscription_id", "seq"),
    Index(None, "workspace_id", "plan_version_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer()),
    Column("response_body", Text()),
    Column("content_type", String(100)),
    _created(),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", String(40), primary_key=True),
    workspace_column(),
    Column("seq", Integer(), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(128), nullable=False),
    Column("before_digest", String(64)),
    Column("after_digest", String(64)),
    Column("detail", JSONDoc()),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("workspace_id", "seq"),
)
