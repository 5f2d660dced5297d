"""Workspaces and the API keys that act in them.

A workspace is the isolation boundary (principle 7): every other row carries its id and
every key belongs to exactly one. Keys are shown once at creation and stored only as a
SHA-256 digest (they are 32 random bytes, so a slow password hash buys nothing); the
visible prefix lets a person tell keys apart in a listing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, delete, select, update

from revbridge.errors import AuthError, ConflictError, ForbiddenError, NotFoundError, ValidationError
from revbridge.ids import new_id
from revbridge.store.schema import metadata
from revbridge.store.tables import api_keys, workspaces

KEY_PREFIX = "rb_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class Role(str, Enum):
    """What a key may do: everything, send usage (and read), or only read."""

    ADMIN = "admin"
    INGEST = "ingest"
    READ_ONLY = "read_only"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the workspace and role of an authenticated API key."""

    workspace_id: str
    key_id: str
    role: Role

    @property
    def actor(self) -> str:
        return f"apikey:{self.key_id}"

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise ForbiddenError(f"this action needs a key with role {allowed}; this key is {self.role.value}")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_workspace(conn: Connection, name: str, now: datetime) -> dict[str, Any]:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError("name", "lowercase letters, digits, '-' and '_', starting with a letter or digit", name)
    if conn.execute(select(workspaces.c.id).where(workspaces.c.name == name)).first():
        raise ConflictError("name", "a workspace with this name exists", name)
    row = {"id": new_id("ws"), "name": name, "settings": {}, "created_at": now}
    conn.execute(workspaces.insert().values(**row))
    return row


def find_workspace(conn: Connection, name_or_id: str) -> dict[str, Any]:
    row = conn.execute(
        select(workspaces).where((workspaces.c.name == name_or_id) | (workspaces.c.id == name_or_id))
    ).first()
    if row is None:
        raise NotFoundError(f"no workspace named {name_or_id!r} (create it with `revbridge workspace create`)")
    return dict(row._mapping)


def list_workspaces(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(workspaces).order_by(workspaces.c.name))]


def delete_workspace(conn: Connection, workspace_id: str) -> None:
    """Remove a workspace and every row it owns (children first)."""
    for table in reversed(metadata.sorted_tables):
        if "workspace_id" in table.c:
            conn.execute(delete(table).where(table.c.workspace_id == workspace_id))
    conn.execute(delete(workspaces).where(workspaces.c.id == workspace_id))


def create_api_key(
    conn: Connection, workspace_id: str, name: str, role: Role | str, now: datetime
) -> tuple[dict[str, Any], str]:
    """A new key for the workspace; returns its row and the secret, which is never stored."""
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError("role", "one of admin, ingest, read_only", role) from None
    if not name or len(name) > 100:
        raise ValidationError("name", "1 to 100 characters", name)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = {
        "id": new_id("key"),
        "workspace_id": workspace_id,
        "name": name,
        "role": role.value,
        "prefix": secret[:10],
        "secret_hash": hash_secret(secret),
        "created_at": now,
        "revoked_at": None,
        "last_used_at": None,
    }
    conn.execute(api_keys.insert().values(**row))
    return _public(row), secret


def _public(row: Any) -> dict[str, Any]:
    data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    data.pop("secret_hash", None)
    return data


def list_api_keys(conn: Connection, workspace_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(api_keys).where(api_keys.c.workspace_id == workspace_id).order_by(api_keys.c.id))
    return [_public(r) for r in rows]


def revoke_api_key(conn: Connection, workspace_id: str, key_id: str, now: datetime) -> dict[str, Any]:
    row = conn.execute(
        select(api_keys).where(api_keys.c.workspace_id == workspace_id, api_keys.c.id == key_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no API key {key_id!r} in this workspace")
    if row.revoked_at is None:
        conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=now))
    return _public(conn.execute(select(api_keys).where(api_keys.c.id == key_id)).one())


def authenticate(conn: Connection, secret: str | None) -> Principal:
    """The principal behind a presented key; unknown and revoked keys get one answer."""
    if not secret:
        raise AuthError("an API key is required: send `Authorization: Bearer <key>`")
    row = conn.execute(select(api_keys).where(api_keys.c.secret_hash == hash_secret(secret))).first()
    if row is None or row.revoked_at is not None:
        raise AuthError("the API key is unknown or revoked")
    return Principal(row.workspace_id, row.id, Role(row.role))


# --- workspace settings ---------------------------------------------------------------

def _retention_days(value: Any) -> int:
    days = int(value)
    if days < 31:
        raise ValueError("at least 31 days, so a month can always be re-rated")
    return days


def _event_types(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    types = sorted({str(t).strip() for t in items if str(t).strip()})
    if any(len(t) > 256 for t in types):
        raise ValueError("event types are at most 256 characters")
    return types


def _odoo_section(value: Any) -> dict[str, Any]:
    """The section itself is checked against the secrets by ``revbridge odoo configure``."""
    if not isinstance(value, dict):
        raise TypeError("an [odoo] section as a table")
    return value


WORKSPACE_SETTINGS: dict[str, Any] = {
    "odoo": _odoo_section,  # the workspace's [odoo] section (docs/odoo.md)
    "usage_retention_days": _retention_days,  # raw events older than this are purged
    "allowed_event_types": _event_types,  # accepted although no meter reads them
}


def set_workspace_setting(conn: Connection, workspace_id: str, name: str, value: Any) -> dict[str, Any]:
    """Set one workspace setting, checked by name; ``None`` removes it."""
    if name not in WORKSPACE_SETTINGS:
        raise ValidationError(name, f"unknown workspace setting; one of {', '.join(sorted(WORKSPACE_SETTINGS))}")
    current = dict(find_workspace(conn, workspace_id)["settings"] or {})
    if value is None:
        current.pop(name, None)
    else:
        try:
            current[name] = WORKSPACE_SETTINGS[name](value)
        except (ValueError, TypeError) as exc:
            raise ValidationError(name, str(exc) or "not a valid value", value) from None
    conn.execute(update(workspaces).where(workspaces.c.id == workspace_id).values(settings=current))
    return current


def workspace_settings(conn: Connection, workspace_id: str) -> dict[str, Any]:
    return dict(find_workspace(conn, workspace_id)["settings"] or {})
