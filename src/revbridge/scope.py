"""The scope of one application-service call: a transaction, a workspace, an actor, a time.

Every service function takes a ``Scope`` first, so no service can forget which
workspace it serves (principle 7) and none reads the clock itself: ``now`` is fixed once
per request or command, which keeps a request's rows consistent and tests exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine


@dataclass(frozen=True)
class Scope:
    conn: Connection
    workspace_id: str
    actor: str
    now: datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def transaction(engine: Engine, workspace_id: str, actor: str, now: datetime | None = None) -> Iterator[Scope]:
    """One committed transaction scoped to ``workspace_id``; rolled back on any error."""
    with engine.begin() as conn:
        yield Scope(conn, workspace_id, actor, now or utcnow())
