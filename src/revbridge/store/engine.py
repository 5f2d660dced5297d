"""Open a database: SQLite (embedded default) or PostgreSQL, with each one's settings.

SQLite gets WAL, ``synchronous=NORMAL``, a busy timeout, foreign keys, a 16 MB page
cache and 16 KB pages, a checkpoint mark of 25,000 pages (400 MB of log), and every
transaction starts with ``BEGIN IMMEDIATE`` so the single writer is taken up front
instead of failing on upgrade from a read lock (but for connections marked
``revbridge_read_only``, which begin deferred). PostgreSQL URLs are driven by psycopg 3.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from revbridge.errors import ValidationError
from revbridge.store.types import sqlite_decimal_add, sqlite_decimal_max

PAGE_SIZE = 16_384
WAL_AUTOCHECKPOINT_PAGES = 25_000
BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Accept ``postgres://``/``postgresql://`` and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def open_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the backend's pragmas and pool settings."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise ValidationError("database_url", "not a database URL", url) from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)
    raise ValidationError("database_url", "only sqlite and postgresql are supported", url)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        # Set before anything is written, so a new database is made of 16 KB pages: a
        # commit writes its pages to the log one system call each, and a batch of usage
        # events a quarter as many calls as with 4 KB pages. No effect on an existing file.
        cur.execute(f"PRAGMA page_size={PAGE_SIZE}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # 16 MB: measured faster than 64 MB for a file import (pages written out sooner,
        # less memory touched) and it keeps an import's two processes under 300 MB.
        cur.execute("PRAGMA cache_size=-16384")
        # A batch of usage events with random ids dirties thousands of index pages, so
        # the default mark (1,000 pages) would make nearly every such commit checkpoint
        # and sync in line; `serve` checkpoints in the background (ingest.upkeep), and
        # this mark is the safety net for processes that do not.
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.close()
        # Exact arithmetic over Amount text, for statements that combine amounts (rollups).
        dbapi_conn.create_function("revbridge_dec_add", 2, sqlite_decimal_add, deterministic=True)
        dbapi_conn.create_function("revbridge_dec_max", 2, sqlite_decimal_max, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A connection marked read-only (``revbridge_read_only``) reads a snapshot without
        # the write lock, so it never waits for a writer nor holds one up.
        read_only = conn.get_execution_options().get("revbridge_read_only")
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
