"""SQLite's dedup without a unique index: key hashes, a keys table merged in bulk, marks

On SQLite, ``usage_events`` is rebuilt without its unique (workspace, source, id) index
and with AUTOINCREMENT (ids are never reused), every stored key goes into
``usage_event_keys`` and every workspace's mark to the highest id. PostgreSQL keeps its
unique index and only gains the ``key_hash`` column (and the two tables, unused there).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from revbridge.ingest.keys import key_hash

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_usage_events_workspace_id_type_time_customer_id": (["workspace_id", "type", "time", "customer_id"], {}),
    "ix_usage_events_late": (["workspace_id", "customer_id", "type", "time"],
                             {"sqlite_where": sa.text("late"), "postgresql_where": sa.text("late")}),
}


def upgrade() -> None:
    op.create_table('usage_event_keys',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('key_hash', sa.BigInteger(), nullable=False),
    sa.Column('event_row', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'key_hash', 'event_row', name=op.f('pk_usage_event_keys')),
    sqlite_with_rowid=False,
    )
    op.create_table('usage_key_marks',
    sa.Column('workspace_id', sa.String(length=40), nullable=False),
    sa.Column('through_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_usage_key_marks_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_usage_key_marks'))
    )
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.add_column('usage_events', sa.Column('key_hash', sa.BigInteger(), nullable=True))
        return
    for name in _INDEXES:
        op.drop_index(name, table_name='usage_events')
    with op.batch_alter_table('usage_events', recreate='always', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_constraint('uq_usage_events_workspace_id_source_event_id', type_='unique')
        batch.add_column(sa.Column('key_hash', sa.BigInteger(), nullable=True))
    for name, (columns, options) in _INDEXES.items():
        op.create_index(name, 'usage_events', columns, unique=False, **options)
    bind.connection.driver_connection.create_function(  # type: ignore[union-attr]
        "revbridge_key_hash", 2, key_hash, deterministic=True)
    op.execute("UPDATE usage_events SET key_hash = revbridge_key_hash(source, event_id)")
    op.execute("INSERT INTO usage_event_keys (workspace_id, key_hash, event_row) "
               "SELECT workspace_id, key_hash, id FROM usage_events ORDER BY 1, 2, 3")
    op.execute("INSERT INTO usage_key_marks (workspace_id, through_id) "
               "SELECT id, (SELECT coalesce(max(id), 0) FROM usage_events) FROM workspaces")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in _INDEXES:
            op.drop_index(name, table_name='usage_events')
        with op.batch_alter_table('usage_events', recreate='always') as batch:
            batch.drop_column('key_hash')
            batch.create_unique_constraint('uq_usage_events_workspace_id_source_event_id',
                                           ['workspace_id', 'source', 'event_id'])
        for name, (columns, options) in _INDEXES.items():
            op.create_index(name, 'usage_events', columns, unique=False, **options)
    else:
        op.drop_column('usage_events', 'key_hash')
    op.drop_table('usage_key_marks')
    op.drop_table('usage_event_keys')
