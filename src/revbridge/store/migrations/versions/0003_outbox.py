"""outbox: jobs written with the state change that causes them

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import revbridge.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_jobs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('aggregate', sa.String(length=255), nullable=False),
    sa.Column('sink', sa.String(length=64), nullable=False),
    sa.Column('payload', revbridge.store.types.JSONDoc(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('lease_expires_at', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('locked_by', sa.String(length=128), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('done_at', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_outbox_jobs_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_jobs')),
    sa.UniqueConstraint('workspace_id', 'key', name=op.f('uq_outbox_jobs_workspace_id_key'))
    )
    op.create_index('ix_outbox_jobs_due', 'outbox_jobs', ['next_attempt_at', 'id'], unique=False, postgresql_where=sa.text("state IN ('pending', 'running')"), sqlite_where=sa.text("state IN ('pending', 'running')"))
    op.create_index('ix_outbox_jobs_open', 'outbox_jobs', ['workspace_id', 'aggregate', 'id'], unique=False, postgresql_where=sa.text("state <> 'done'"), sqlite_where=sa.text("state <> 'done'"))

def downgrade() -> None:
    op.drop_table("outbox_jobs")
