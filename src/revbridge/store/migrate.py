"""Bring a database to the newest schema with Alembic (``revbridge db upgrade``).

``serve`` and ``demo`` call ``upgrade`` on start, so a new release migrates the
embedded file by itself. Concurrent starters on PostgreSQL serialise on an advisory
lock, so two processes never run the same migration at once.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

_HERE = Path(__file__).parent / "migrations"
_LOCK_KEY = 727_118_001  # any constant shared by every revbridge process


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate ``engine``'s database to ``revision``."""
    cfg = alembic_config()
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def draft_migration(engine: Engine) -> str:
    """Python for the Alembic operations that take ``engine``'s schema to the declared one.

    A developer's aid when adding tables: upgrade a scratch database to the previous
    revision, then paste this into the new revision's ``upgrade()`` and review it.
    """
    from alembic.autogenerate import produce_migrations, render_python_code

    from revbridge.store.schema import metadata

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": False})
        return render_python_code(produce_migrations(context, metadata).upgrade_ops)
