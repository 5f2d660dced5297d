"""Request plumbing shared by every route: who is calling, and the transaction to act in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from sqlalchemy import Engine

from revbridge.scope import Scope, transaction
from revbridge.workspaces import Principal, Role, authenticate

READERS = (Role.ADMIN, Role.READ_ONLY)
ANYONE = (Role.ADMIN, Role.READ_ONLY, Role.INGEST)
ADMINS = (Role.ADMIN,)


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key")


def principal(request: Request) -> Principal:
    """The authenticated caller (a FastAPI dependency)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    with engine_of(request).connect().execution_options(revbridge_read_only=True) as conn:  # no write lock
        found = authenticate(conn, presented_key(request))
    request.state.principal = found
    return found


@contextmanager
def acting(request: Request, who: Principal, *roles: Role) -> Iterator[Scope]:
    """A committed transaction in the caller's workspace, if its role allows the action."""
    who.require(*roles)
    with transaction(engine_of(request), who.workspace_id, who.actor) as scope:
        yield scope
