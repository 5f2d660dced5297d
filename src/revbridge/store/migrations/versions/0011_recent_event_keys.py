"""SQLite's merged keys in two tables: the recent ones, and the settled

``usage_event_keys_recent`` takes the keys of the newest events, merged often while it
is small; ``usage_event_keys`` takes them from it in bulk once it has grown
(``ingest.keys``). ``usage_key_marks.settled_through_id`` is the highest event id whose
key is settled: every key held so far already is.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_event_keys_recent",
        sa.Column("key_hash", sa.BigInteger(), nullable=False),
        sa.Column("event_row", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", "event_row", name=op.f("pk_usage_event_keys_recent")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("usage_key_marks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_through_id", sa.BigInteger(), server_default="0", nullable=False))
    op.execute("UPDATE usage_key_marks SET settled_through_id = through_id")


def downgrade() -> None:
    op.execute("INSERT INTO usage_event_keys (key_hash, event_row) "
               "SELECT key_hash, event_row FROM usage_event_keys_recent")
    with op.batch_alter_table("usage_key_marks", schema=None) as batch_op:
        batch_op.drop_column("settled_through_id")
    op.drop_table("usage_event_keys_recent")
