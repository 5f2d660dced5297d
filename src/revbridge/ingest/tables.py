"""Usage storage: raw events, daily counters, billed periods, and the exceptions queue.

``usage_events`` keeps every accepted event's canonical payload, for replay and for the
drill-back from an invoice line to its events. Its dedup key is (workspace, source, id).
On PostgreSQL a unique index enforces it, which stays exact with concurrent writers. On
SQLite, whose single writer makes an in-process check exact, that index is replaced by
``usage_event_keys`` (see ``ingest.keys``): random ids cost a unique index a page write
per event and commit, the largest share of storing an event. ``key_hash`` is the 64-bit
hash of (source, id) that table is keyed by. Ids are never reused (AUTOINCREMENT on
SQLite), since the keys' and the rollups' marks are event ids.
Its other index is time-major, (workspace, type, time, customer): live usage arrives
near "now", so entries land near the end of the index instead of one page per customer
(a customer-major index costs a page write per event and customer). Still, live times
spread over a minute or two, so at thousands of events a second every batch touches a
page per event of that tail. PostgreSQL keeps it as an index; SQLite keeps it as
``usage_event_times``, merged in bulk like the keys (``ingest.keys``): a merge writes a
page once for the many entries it takes, and the events after its mark
(``usage_key_marks.times_through_id``) are read by id range. A partial index holds only
the events flagged late, which billing clears per customer.

Meters do not scan raw events month after month: ``usage_rollups`` keeps, per meter
definition, customer, UTC hour and group, the partial aggregate of every event up to
``usage_rollup_marks.through_id`` (see ``ingest.rollups``). A query reads the hours
those cover and only the events after the mark and at the period's edges.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from revbridge.store.tables import metadata
from revbridge.store.types import Amount, JSONDoc, UTCDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")

usage_events = Table(
    "usage_events",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False),
    Column("source", String(256), nullable=False),
    Column("event_id", String(256), nullable=False),
    Column("type", String(256), nullable=False),
    Column("customer_id", String(40), nullable=False),
    Column("time", UTCDateTime(), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("payload", LargeBinary(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("late", Boolean(), nullable=False),
    Column("key_hash", BigInteger()),  # keys.key_hash(source, event_id); filled on every backend
    UniqueConstraint("workspace_id", "source", "event_id").ddl_if(dialect="postgresql"),
    Index(None, "workspace_id", "type", "time", "customer_id").ddl_if(dialect="postgresql"),
    Index("ix_usage_events_late", "workspace_id", "customer_id", "type", "time",
          sqlite_where=text("late"), postgresql_where=text("late")),
    sqlite_autoincrement=True,
)

usage_event_keys = Table(  # SQLite's dedup index (ingest.keys); a derived index, so no foreign key
    "usage_event_keys",  # no workspace: a third of the size; a look-up checks it on the event row
    metadata,
    Column("key_hash", BigInteger(), primary_key=True),
    Column("event_row", BigInteger(), primary_key=True),  # usage_events.id
    sqlite_with_rowid=False,
)

usage_event_keys_recent = Table(  # the keys merged since the last settle (ingest.keys): small, merged often
    "usage_event_keys_recent",
    metadata,
    Column("key_hash", BigInteger(), primary_key=True),
    Column("event_row", BigInteger(), primary_key=True),  # usage_events.id
    sqlite_with_rowid=False,
)

usage_event_times = Table(  # SQLite's time index (ingest.keys merges it); derived, so no foreign key
    "usage_event_times",
    metadata,
    Column("workspace_id", String(40), primary_key=True),
    Column("type", String(256), primary_key=True),
    Column("time", UTCDateTime(), primary_key=True),
    Column("customer_id", String(40), primary_key=True),
    Column("event_row", BigInteger(), primary_key=True),  # usage_events.id
    sqlite_with_rowid=False,
)

usage_key_marks = Table(
    "usage_key_marks",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("through_id", BigInteger(), nullable=False),  # every event with id <= this has its key merged
    Column("times_through_id", BigInteger(), nullable=False, server_default="0"),  # ... and this, its time
    Column("settled_through_id", BigInteger(), nullable=False, server_default="0"),  # its key in usage_event_keys
)

usage_rollups = Table(
    "usage_rollups",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("meter_key", String(32), primary_key=True),  # rollups.meter_key: the aggregating definition
    Column("customer_id", String(40), primary_key=True),
    Column("hour", UTCDateTime(), primary_key=True),
    Column("group_key", Text(), primary_key=True),  # JSON array of the group-by values
    Column("value_key", Text(), primary_key=True),  # the counted value of a unique_count meter, else ""
    Column("events", BigInteger(), nullable=False),
    Column("total", Amount()),  # sum
    Column("peak", Amount()),  # max
    Column("latest_time", UTCDateTime()),
    Column("latest_source", String(256)),
    Column("latest_event_id", String(256)),
    Column("latest_value", Amount()),
    # The earliest and latest time of the events the row holds (null: written before these
    # were kept): a query uses an hour the period starts or ends in when both fall inside.
    Column("first_time", UTCDateTime()),
    Column("last_time", UTCDateTime()),
)

usage_rollup_marks = Table(
    "usage_rollup_marks",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("meter_key", String(32), primary_key=True),
    Column("definition", JSONDoc(), nullable=False),
    Column("through_id", BigInteger(), nullable=False),  # every event with id <= this is rolled up
    Column("updated_at", UTCDateTime(), nullable=False),
)

usage_counters = Table(
    "usage_counters",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("received", BigInteger(), nullable=False),
    Column("accepted", BigInteger(), nullable=False),
    Column("duplicate", BigInteger(), nullable=False),
    Column("rejected", BigInteger(), nullable=False),
)

billed_periods = Table(
    "billed_periods",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("customer_id", String(40), primary_key=True),
    Column("meter_code", String(64), primary_key=True),
    Column("period_start", UTCDateTime(), primary_key=True),
    Column("period_end", UTCDateTime(), nullable=False),
    Column("event_type", String(256), nullable=False),
    Column("billed_at", UTCDateTime(), nullable=False),
    Index(None, "workspace_id", "customer_id", "period_end"),
)

exceptions = Table(
    "exceptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("origin", String(512)),
    Column("event_source", String(256)),
    Column("event_id", String(256)),
    Column("raw", Text(), nullable=False),
    Column("problems", JSONDoc(), nullable=False),
    Column("received_day", Date(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime()),
    Index(None, "workspace_id", "state", "reason"),
)
