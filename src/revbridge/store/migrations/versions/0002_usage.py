"""usage: raw events, counters, billed periods, exceptions

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import revbridge.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('billed_periods',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('meter_code', sa.String(length=64), nullable=False),
    sa.Column('period_start', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('period_end', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('event_type', sa.String(length=256), nullable=False),
    sa.Column('billed_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_billed_periods_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', 'customer_id', 'meter_code', 'period_start', name=op.f('pk_billed_periods'))
    )
    op.create_index(op.f('ix_billed_periods_workspace_id_customer_id_period_end'), 'billed_periods', ['workspace_id', 'customer_id', 'period_end'], unique=False)
    op.create_table('exceptions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=512), nullable=True),
    sa.Column('event_source', sa.String(length=256), nullable=True),
    sa.Column('event_id', sa.String(length=256), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('problems', revbridge.store.types.JSONDoc(), nullable=False),
    sa.Column('received_day', sa.Date(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_exceptions_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exceptions'))
    )
    op.create_index(op.f('ix_exceptions_workspace_id_state_reason'), 'exceptions', ['workspace_id', 'state', 'reason'], unique=False)
    op.create_table('usage_counters',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('received', sa.BigInteger(), nullable=False),
    sa.Column('accepted', sa.BigInteger(), nullable=False),
    sa.Column('duplicate', sa.BigInteger(), nullable=False),
    sa.Column('rejected', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_usage_counters_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', 'day', name=op.f('pk_usage_counters'))
    )
    op.create_table('usage_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=256), nullable=False),
    sa.Column('event_id', sa.String(length=256), nullable=False),
    sa.Column('type', sa.String(length=256), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('time', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_usage_events_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_events')),
    sa.UniqueConstraint('workspace_id', 'source', 'event_id', name=op.f('uq_usage_events_workspace_id_source_event_id'))
    )
    op.create_index(op.f('ix_usage_events_workspace_id_customer_id_type_time'), 'usage_events', ['workspace_id', 'customer_id', 'type', 'time'], unique=False)


def downgrade() -> None:
    for table in ("exceptions", "billed_periods", "usage_counters", "usage_events"):
        op.drop_table(table)
