"""What every command needs: settings, a migrated database, a workspace, and output.

Exit codes mean something: 0 ok, 1 refused input, 2 usage (Typer's), 3 a dependency
(the database) is unavailable.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from revbridge.config import Settings, load_settings
from revbridge.errors import ValidationError
from revbridge.jsonenc import dumps
from revbridge.scope import Scope, transaction
from revbridge.store.engine import open_engine
from revbridge.store.migrate import upgrade
from revbridge.workspaces import find_workspace

console = Console(highlight=False, soft_wrap=False, width=max(120, Console().width))
err_console = Console(stderr=True, highlight=False)

WorkspaceOpt = typer.Option("default", "--workspace", "-w", envvar="REVBRIDGE_WORKSPACE", help="workspace name")
JsonOpt = typer.Option(False, "--json", help="print JSON instead of a table")


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


_engines: dict[str, Engine] = {}


def engine(migrate: bool = True) -> Engine:
    """The configured database, migrated to the newest schema on first use."""
    url = settings().database_url
    if url not in _engines:
        eng = open_engine(url)
        if migrate:
            upgrade(eng)
        _engines[url] = eng
    return _engines[url]


@contextmanager
def in_workspace(name: str, actor: str = "cli") -> Iterator[Scope]:
    eng, workspace_id = workspace_engine(name)
    with transaction(eng, workspace_id, actor) as scope:
        yield scope


def workspace_engine(name: str) -> tuple[Engine, str]:
    """The engine and the id of the workspace ``name``, for commands that run transactions of their own."""
    eng = engine()
    with eng.connect() as conn:
        return eng, str(find_workspace(conn, name)["id"])


def parse_instant(value: str | None, field: str) -> datetime | None:
    """``2026-02-10`` (midnight UTC) or an RFC 3339 time with an offset."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value)  # 3.11 reads "Z"
    except ValueError:
        raise ValidationError(field, "a date (2026-02-10) or a time with an offset (2026-02-10T09:00:00Z)", value) from None
    if moment.tzinfo is None:
        raise ValidationError(field, "give the time with an offset, e.g. 2026-02-10T09:00:00Z", value)
    return moment.astimezone(UTC)


def show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def emit_json(data: Any) -> None:
    sys.stdout.write(dumps(data, indent=2).decode() + "\n")


def emit_table(title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        table.add_row(*(show(row.get(c)) for c in columns))
    console.print(table)


def emit(data: Any, as_json: bool, title: str, columns: Sequence[str]) -> None:
    """A listing as JSON (``--json``) or a Rich table."""
    if as_json:
        emit_json(data)
    else:
        emit_table(title, data if isinstance(data, list) else [data], columns)
