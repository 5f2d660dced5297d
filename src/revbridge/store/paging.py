"""Cursor pagination over id order: stable under inserts, no offsets to drift.

A cursor is the last id of the previous page, base64url-encoded so clients treat it as
opaque. Ids are time-ordered (``revbridge.ids``), so id order is creation order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Table, and_, select

from revbridge.errors import ValidationError

MAX_LIMIT = 500


@dataclass(frozen=True)
class Page:
    rows: Sequence[Row[Any]]
    next_cursor: str | None


_VERSION = "c1:"


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode((_VERSION + last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith(_VERSION) or len(raw) == len(_VERSION):
        raise ValidationError("cursor", "not a cursor this API issued", cursor)
    return raw[len(_VERSION):]


def page(
    conn: Connection,
    table: Table,
    where: ColumnElement[bool],
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """One page of ``table`` rows matching ``where``, in id order, after ``cursor``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"must be from 1 to {MAX_LIMIT}", limit)
    clause = where if cursor is None else and_(where, table.c.id > decode_cursor(cursor))
    rows = conn.execute(select(table).where(clause).order_by(table.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].id) if more and rows else None)
