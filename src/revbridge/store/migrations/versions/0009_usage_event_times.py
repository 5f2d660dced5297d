"""SQLite's time index as a table merged in bulk: ``usage_event_times``

On SQLite the (workspace, type, time, customer) index of ``usage_events`` is dropped and
its entries for every merged event (up to each workspace's mark in ``usage_key_marks``)
go into ``usage_event_times``, which ``ingest.keys`` merges with the keys from now on.
PostgreSQL keeps its index; the table exists there too, unused.

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
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index(_TIME_INDEX, table_name='usage_events')
    op.execute("INSERT INTO usage_event_times (workspace_id, type, time, customer_id, event_row) "
               "SELECT e.workspace_id, e.type, e.time, e.customer_id, e.id FROM usage_events AS e "
               "JOIN usage_key_marks AS m ON m.workspace_id = e.workspace_id AND e.id <= m.through_id "
               "ORDER BY 1, 2, 3, 4, 5")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(_TIME_INDEX, 'usage_events', _TIME_COLUMNS, unique=False)
    op.drop_table('usage_event_times')
