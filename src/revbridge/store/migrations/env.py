"""Alembic environment: migrations run on the connection revbridge hands over."""

from __future__ import annotations

from alembic import context

from revbridge.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - revbridge always passes one
    raise RuntimeError("run migrations through revbridge.store.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
