"""usage rollups per meter, customer and hour; time-major and late-only event indexes

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import revbridge.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('usage_rollups',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('meter_key', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('hour', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('group_key', sa.Text(), nullable=False),
    sa.Column('value_key', sa.Text(), nullable=False),
    sa.Column('events', sa.BigInteger(), nullable=False),
    sa.Column('total', revbridge.store.types.Amount(), nullable=True),
    sa.Column('peak', revbridge.store.types.Amount(), nullable=True),
    sa.Column('latest_time', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('latest_source', sa.String(length=256), nullable=True),
    sa.Column('latest_event_id', sa.String(length=256), nullable=True),
    sa.Column('latest_value', revbridge.store.types.Amount(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_usage_rollups_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', 'meter_key', 'customer_id', 'hour', 'group_key', 'value_key',
                            name=op.f('pk_usage_rollups'))
    )
    op.create_table('usage_rollup_marks',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('meter_key', sa.String(length=32), nullable=False),
    sa.Column('definition', revbridge.store.types.JSONDoc(), nullable=False),
    sa.Column('through_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                            name=op.f('fk_usage_rollup_marks_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', 'meter_key', name=op.f('pk_usage_rollup_marks'))
    )
    op.drop_index(op.f('ix_usage_events_workspace_id_customer_id_type_time'), table_name='usage_events')
    op.create_index(op.f('ix_usage_events_workspace_id_type_time_customer_id'), 'usage_events',
                    ['workspace_id', 'type', 'time', 'customer_id'], unique=False)
    op.create_index('ix_usage_events_late', 'usage_events', ['workspace_id', 'customer_id', 'type', 'time'],
                    unique=False, sqlite_where=sa.text('late'), postgresql_where=sa.text('late'))


def downgrade() -> None:
    op.drop_index('ix_usage_events_late', table_name='usage_events')
    op.drop_index(op.f('ix_usage_events_workspace_id_type_time_customer_id'), table_name='usage_events')
    op.create_index(op.f('ix_usage_events_workspace_id_customer_id_type_time'), 'usage_events',
                    ['workspace_id', 'customer_id', 'type', 'time'], unique=False)
    op.drop_table('usage_rollup_marks')
    op.drop_table('usage_rollups')
