"""odoo_links: what each revbridge record is in Odoo

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import revbridge.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('odoo_links',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('odoo_model', sa.String(length=64), nullable=False),
    sa.Column('odoo_id', sa.Integer(), nullable=False),
    sa.Column('odoo_name', sa.String(length=128), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=True),
    sa.Column('amount_total', revbridge.store.types.Amount(), nullable=True),
    sa.Column('synced_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_odoo_links_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_odoo_links')),
    sa.UniqueConstraint('workspace_id', 'entity_type', 'entity_id', name=op.f('uq_odoo_links_workspace_id_entity_type_entity_id'))
    )


def downgrade() -> None:
    op.drop_table("odoo_links")
