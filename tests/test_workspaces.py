"""Workspaces, API keys (hashed, role-scoped, revocable) and the audit chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from revbridge import audit
from revbridge.errors import AuthError, ConflictError, ForbiddenError, ValidationError
from revbridge.scope import utcnow
from revbridge.store.tables import api_keys, audit_log
from revbridge.workspaces import Role, authenticate, create_api_key, create_workspace, revoke_api_key


def test_keys_are_stored_hashed_and_authenticate(engine: Engine, workspace: str) -> None:
    with engine.begin() as conn:
        row, secret = create_api_key(conn, workspace, "ci", Role.INGEST, utcnow())
        stored = conn.execute(select(api_keys)).one()
        who = authenticate(conn, secret)
    assert secret.startswith("rb_") and secret not in str(stored._mapping.values())
    assert (who.workspace_id, who.role, who.key_id) == (workspace, Role.INGEST, row["id"])
    assert "secret_hash" not in row


def test_unknown_and_revoked_keys_get_the_same_refusal(engine: Engine, workspace: str) -> None:
    with engine.begin() as conn:
        row, secret = create_api_key(conn, workspace, "ci", Role.ADMIN, utcnow())
        revoke_api_key(conn, workspace, row["id"], utcnow())
        for presented in (secret, "rb_nope", None):
            with pytest.raises(AuthError, match="unknown or revoked|required"):
                authenticate(conn, presented)


def test_roles_gate_actions(engine: Engine, workspace: str) -> None:
    with engine.begin() as conn:
        _, secret = create_api_key(conn, workspace, "reader", Role.READ_ONLY, utcnow())
        who = authenticate(conn, secret)
    who.require(Role.READ_ONLY, Role.ADMIN)
    with pytest.raises(ForbiddenError, match="role admin"):
        who.require(Role.ADMIN)


def test_workspace_names_are_checked_and_unique(engine: Engine) -> None:
    with engine.begin() as conn:
        create_workspace(conn, "acme", utcnow())
        with pytest.raises(ConflictError):
            create_workspace(conn, "acme", utcnow())
        with pytest.raises(ValidationError, match="name"):
            create_workspace(conn, "Bad Name!", utcnow())
        with pytest.raises(ValidationError, match="role"):
            create_api_key(conn, "x", "k", "superuser", utcnow())


def test_audit_chain_detects_an_edited_entry(engine: Engine, workspace: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(workspace) as scope:
        for n in range(3):
            audit.record(scope, "thing.change", "thing", f"t{n}", before={"n": n}, after={"n": n + 1})
        assert audit.verify_chain(scope) is None and audit.count_entries(scope) == 3
        scope.conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(actor="mallory"))
        assert audit.verify_chain(scope) == 2
