"""Test fixtures: a migrated database on SQLite and on PostgreSQL, workspaces, API clients.

Store tests take ``engine`` and run once per backend. SQLite gets a fresh copy of a
migrated template file per test. PostgreSQL gets one throw-away database per test run
(per xdist worker), migrated once and truncated between tests, dropped at the end.
With ``CI`` set, an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, inspect, text

from revbridge.scope import transaction
from revbridge.store.engine import open_engine
from revbridge.store.migrate import upgrade
from revbridge.store.schema import metadata
from revbridge.workspaces import Role, create_api_key, create_workspace

PG_ADMIN_URL = os.environ.get("REVBRIDGE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No REVBRIDGE_* setting from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("REVBRIDGE_") and not key.startswith("REVBRIDGE_TEST_"):
            monkeypatch.delenv(key)

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    eng = open_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # closing the last connection checkpoints the WAL into the file
    return path

def _pg_unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")

@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this run, migrated once, dropped at the end."""
    name = f"revbridge_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _pg_unavailable(str(exc).strip())
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    eng = open_engine(url)
    upgrade(eng)
    eng.dispose()
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    eng = open_engine(pg_url)
    yield eng
    eng.dispose()

def _truncate(eng: Engine) -> None:
    existing = set(inspect(eng).get_table_names())
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name in existing)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} CASCADE"))

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "revbridge.db"
        shutil.copy(sqlite_template, path)
        eng = open_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        _truncate(eng)
        yield eng

@pytest.fixture
def workspace_factory(engine: Engine) -> Callable[..., str]:
    """Make a workspace; returns its id."""

    def make(name: str | None = None) -> str:
        from revbridge.scope import utcnow

        with engine.begin() as conn:
            return str(create_workspace(conn, name or f"ws-{uuid.uuid4().hex[:8]}", utcnow())["id"])

    return make

@pytest.fixture
def workspace(workspace_factory: Callable[..., str]) -> str:
    return workspace_factory("acme-saas")

@pytest.fixture
def scope_in(engine: Engine) -> Callable[..., Any]:
    """``with scope_in(ws) as scope:`` opens a committed transaction in workspace ``ws``."""

    def open_(workspace_id: str, now: Any = None) -> Any:
        return transaction(engine, workspace_id, "test", now)

    return open_

@pytest.fixture
def api_key(engine: Engine) -> Callable[..., str]:
    """Make an API key in a workspace; returns the secret."""

    def make(workspace_id: str, role: Role | str = Role.ADMIN) -> str:
        from revbridge.scope import utcnow

        with engine.begin() as conn:
            return create_api_key(conn, workspace_id, "test", role, utcnow())[1]

    return make



from tests.books import books  # noqa: F401  (fixture shared by payments, ledger and Odoo delivery tests)
