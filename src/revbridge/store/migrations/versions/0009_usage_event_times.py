"""SQLite's time index as a table merged in bulk: ``usage_event_times``; keys without workspace

On SQLite the (workspace, type, time, customer) index of ``usage_events`` is dropped and
its entries for every merged event (up to each workspace's mark in ``usage_key_marks``)
go into ``usage_event_times``, which ``ingest.keys`` merges from now on, up to a mark of
its own (``usage_key_marks.times_through_id``).
``usage_event_keys`` is rebuilt as (key_hash, event row), a third of its size.
PostgreSQL keeps its index; the tables exist there too, unused.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import revbridge.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TIME_INDEX = "ix_usage_events_workspace_id_type_time_customer_id"
_TIME_COLUMNS = ["workspace_id", "type", "time", "customer_id"]


def upgrade() -> None:
    op.create_table('usage_event_times',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=256), nullable=False),
    sa.Column('time', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('event_row', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'type', 'time', 'customer_id', 'event_row',
                            name=op.f('pk_usage_event_times')),
    sqlite_with_rowid=False,
    )
    _rebuild_keys(with_workspace=False)
    op.add_column('usage_key_marks', sa.Column('times_through_id', sa.BigInteger(), server_default='0',
                                               nullable=False))
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index(_TIME_INDEX, table_name='usage_events')
    op.execute("INSERT INTO usage_event_times (workspace_id, type, time, customer_id, event_row) "
               "SELECT e.workspace_id, e.type, e.time, e.customer_id, e.id FROM usage_events AS e "
               "JOIN usage_key_marks AS m ON m.workspace_id = e.workspace_id AND e.id <= m.through_id "
               "ORDER BY 1, 2, 3, 4, 5")
    op.execute("UPDATE usage_key_marks SET times_through_id = through_id")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(_TIME_INDEX, 'usage_events', _TIME_COLUMNS, unique=False)
    with op.batch_alter_table('usage_key_marks') as batch:
        batch.drop_column('times_through_id')
    op.drop_table('usage_event_times')
    _rebuild_keys(with_workspace=True)


def _rebuild_keys(with_workspace: bool) -> None:
    """``usage_event_keys`` rebuilt with or without its workspace, every entry kept."""
    columns = ["workspace_id", "key_hash", "event_row"] if with_workspace else ["key_hash", "event_row"]
    name = "usage_event_keys_wide" if with_workspace else "usage_event_keys_slim"
    op.create_table(name,
    *[sa.Column(c, sa.String(length=40) if c == "workspace_id" else sa.BigInteger(), nullable=False) for c in columns],
    sa.PrimaryKeyConstraint(*columns, name=op.f(f'pk_{name}')),
    sqlite_with_rowid=False,
    )
    source = ("SELECT e.workspace_id, k.key_hash, k.event_row FROM usage_event_keys AS k "
              "JOIN usage_events AS e ON e.id = k.event_row") if with_workspace else (
              "SELECT key_hash, event_row FROM usage_event_keys")
    order = ", ".join(str(n + 1) for n in range(len(columns)))
    op.execute(f"INSERT INTO {name} ({', '.join(columns)}) {source} ORDER BY {order}")
    op.drop_table('usage_event_keys')
    _rename_keys(name, 'usage_event_keys')


def _rename_keys(old: str, new: str) -> None:
    """Rename the keys table and its primary key (named after the table on PostgreSQL)."""
    op.rename_table(old, new)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT pk_{old} TO pk_{new}")
