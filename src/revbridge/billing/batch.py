"""How billing reads and writes thousands of customers' rows: in chunks, one statement each.

Why this module: a run over ten thousand customers asks the database about them a few
hundred ids at a time, and on PostgreSQL the shape of that question matters more than
its size.

- ``one_of`` names the chunk as one array parameter (``= ANY(:ids)``) on PostgreSQL, so
  the statement text is the same for every chunk (compiled once by SQLAlchemy, parsed
  once by psycopg) instead of carrying one placeholder per id. SQLite keeps ``IN``.
- ``prefer_custom_plans`` stops PostgreSQL from switching a statement psycopg has
  prepared to a generic plan. A generic plan cannot hash the id list, so right after a
  bulk load, while the statistics still say a table is tiny, it compares every row of
  the workspace with every id of the chunk (half a second per chunk of 500 measured);
  a custom plan sees the ids and hashes them.

Inserts stay plain ``executemany``: psycopg pipelines the rows, which measured faster
than multi-row ``INSERT`` statements ("insertmanyvalues") for a run's documents and lines
(8 s against 17 s for 50,000 lines on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, String, any_, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["CHUNK", "chunked", "one_of", "prefer_custom_plans"]

CHUNK = 500
T = TypeVar("T")


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def one_of(conn: Connection, column: ColumnElement[Any], values: Sequence[str]) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (strings), in the form each backend plans best."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String())))
    return column.in_(list(values))


def prefer_custom_plans(conn: Connection) -> None:
    """Plan each statement with its parameters for the rest of the transaction (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

