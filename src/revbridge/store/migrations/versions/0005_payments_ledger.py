"""payments, refunds and their applications; the local ledger

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import revbridge.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_entries',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('date', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('correlation_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_ledger_entries_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('workspace_id', 'key', name=op.f('uq_ledger_entries_workspace_id_key'))
    )
    op.create_index(op.f('ix_ledger_entries_workspace_id_date'), 'ledger_entries', ['workspace_id', 'date'], unique=False)
    op.create_table('ledger_postings',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('entry_id', sa.String(length=40), nullable=False),
    sa.Column('account', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('debit', revbridge.store.types.Amount(), nullable=False),
    sa.Column('credit', revbridge.store.types.Amount(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_ledger_postings_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_ledger_postings_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_postings'))
    )
    op.create_index(op.f('ix_ledger_postings_workspace_id_account'), 'ledger_postings', ['workspace_id', 'account'], unique=False)
    op.create_table('payments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('refund_of', sa.String(length=40), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', revbridge.store.types.Amount(), nullable=False),
    sa.Column('received_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_payments_customer_id_customers')),
    sa.ForeignKeyConstraint(['refund_of'], ['payments.id'], name=op.f('fk_payments_refund_of_payments')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_payments_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('workspace_id', 'source', 'reference', name=op.f('uq_payments_workspace_id_source_reference'))
    )
    op.create_index(op.f('ix_payments_workspace_id_customer_id'), 'payments', ['workspace_id', 'customer_id'], unique=False)
    op.create_table('payment_applications',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('document_id', sa.String(length=40), nullable=False),
    sa.Column('payment_id', sa.String(length=40), nullable=True),
    sa.Column('credit_note_id', sa.String(length=40), nullable=True),
    sa.Column('amount', revbridge.store.types.Amount(), nullable=False),
    sa.Column('applied_at', revbridge.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['credit_note_id'], ['documents.id'], name=op.f('fk_payment_applications_credit_note_id_documents')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_payment_applications_customer_id_customers')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_payment_applications_document_id_documents')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_applications_payment_id_payments')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_payment_applications_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_applications'))
    )
    op.create_index(op.f('ix_payment_applications_workspace_id_document_id'), 'payment_applications', ['workspace_id', 'document_id'], unique=False)


def downgrade() -> None:
    for table in ("ledger_postings", "ledger_entries", "payment_applications", "payments"):
        op.drop_table(table)
