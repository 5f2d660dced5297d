"""billing: documents and lines, numbering, tax rates, coupons, per-customer run state

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import revbridge.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('billing_runs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('as_of', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('allow_backdated', sa.Boolean(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('summary', revbridge.store.types.JSONDoc(), nullable=True),
    sa.Column('created_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_billing_runs_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_runs'))
    )
    op.create_table('document_sequences',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=False),
    sa.Column('series', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['legal_entity_id'], ['legal_entities.id'], name=op.f('fk_document_sequences_legal_entity_id_legal_entities')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_document_sequences_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', 'legal_entity_id', 'series', 'year', name=op.f('pk_document_sequences'))
    )
    op.create_table('entity_tax_settings',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=False),
    sa.Column('reverse_charge_zone', revbridge.store.types.JSONDoc(), nullable=False),
    sa.Column('updated_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['legal_entity_id'], ['legal_entities.id'], name=op.f('fk_entity_tax_settings_legal_entity_id_legal_entities')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_entity_tax_settings_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', 'legal_entity_id', name=op.f('pk_entity_tax_settings'))
    )
    op.create_table('tax_rates',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('rate', revbridge.store.types.Amount(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['legal_entity_id'], ['legal_entities.id'], name=op.f('fk_tax_rates_legal_entity_id_legal_entities')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_tax_rates_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rates')),
    sa.UniqueConstraint('legal_entity_id', 'country', 'region', name=op.f('uq_tax_rates_legal_entity_id_country_region'))
    )
    op.create_table('billing_state',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('billed_through', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('last_run_id', sa.String(length=40), nullable=True),
    sa.Column('updated_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_billing_state_customer_id_customers')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_billing_state_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', 'customer_id', name=op.f('pk_billing_state'))
    )
    op.create_table('documents',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('credit_of', sa.String(length=40), nullable=True),
    sa.Column('billing_run_id', sa.String(length=40), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('tax_note', sa.Text(), nullable=True),
    sa.Column('subtotal', revbridge.store.types.Amount(), nullable=False),
    sa.Column('tax_total', revbridge.store.types.Amount(), nullable=False),
    sa.Column('total', revbridge.store.types.Amount(), nullable=False),
    sa.Column('amount_paid', revbridge.store.types.Amount(), nullable=False),
    sa.Column('amount_due', revbridge.store.types.Amount(), nullable=False),
    sa.Column('finalize_after', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('finalized_at', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('voided_at', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['credit_of'], ['documents.id'], name=op.f('fk_documents_credit_of_documents')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_documents_customer_id_customers')),
    sa.ForeignKeyConstraint(['legal_entity_id'], ['legal_entities.id'], name=op.f('fk_documents_legal_entity_id_legal_entities')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_documents_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('workspace_id', 'legal_entity_id', 'number', name=op.f('uq_documents_workspace_id_legal_entity_id_number'))
    )
    op.create_index(op.f('ix_documents_workspace_id_customer_id_state'), 'documents', ['workspace_id', 'customer_id', 'state'], unique=False)
    op.create_table('coupons',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('subscription_id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('duration', sa.String(length=16), nullable=False),
    sa.Column('amount_off', revbridge.store.types.Amount(), nullable=True),
    sa.Column('percent_off', revbridge.store.types.Amount(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('periods', sa.Integer(), nullable=True),
    sa.Column('created_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_coupons_subscription_id_subscriptions')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_coupons_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
    sa.UniqueConstraint('subscription_id', 'code', name=op.f('uq_coupons_subscription_id_code'))
    )
    op.create_table('document_lines',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('document_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('charge_key', sa.String(length=255), nullable=True),
    sa.Column('subscription_id', sa.String(length=40), nullable=True),
    sa.Column('plan_version_id', sa.String(length=40), nullable=True),
    sa.Column('price_id', sa.String(length=40), nullable=True),
    sa.Column('price_code', sa.String(length=64), nullable=True),
    sa.Column('meter_code', sa.String(length=64), nullable=True),
    sa.Column('period_start', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('period_end', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('service_start', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('service_end', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('due_at', revbridge.store.types.UTCDateTime(), nullable=True),
    sa.Column('quantity', revbridge.store.types.Amount(), nullable=False),
    sa.Column('unit_price', revbridge.store.types.Amount(), nullable=False),
    sa.Column('amount', revbridge.store.types.Amount(), nullable=False),
    sa.Column('tax_rate', revbridge.store.types.Amount(), nullable=False),
    sa.Column('tax_amount', revbridge.store.types.Amount(), nullable=False),
    sa.Column('tier_breakdown', revbridge.store.types.JSONDoc(), nullable=True),
    sa.Column('revenue_rule', sa.String(length=32), nullable=True),
    sa.Column('correlation_id', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_lines_document_id_documents')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_document_lines_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_lines')),
    sa.UniqueConstraint('document_id', 'seq', name=op.f('uq_document_lines_document_id_seq'))
    )
    op.create_index(op.f('ix_document_lines_workspace_id_charge_key'), 'document_lines', ['workspace_id', 'charge_key'], unique=False)


def downgrade() -> None:
    for name in ("document_lines", "coupons", "documents", "billing_state", "tax_rates",
                 "entity_tax_settings", "document_sequences", "billing_runs"):
        op.drop_table(name)
