"""Each rollup row keeps the earliest and latest time of the events it holds

``usage_rollups.first_time`` and ``last_time`` let a query use an hour's rollups when the
period starts or ends inside that hour, if every event they hold falls in the period
(``ingest.meters``). Rows written before have neither: their hour is read raw at an edge.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import revbridge.store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage_rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_time", revbridge.store.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_time", revbridge.store.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("usage_rollups", schema=None) as batch_op:
        batch_op.drop_column("last_time")
        batch_op.drop_column("first_time")
