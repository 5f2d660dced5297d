"""Record ids: a short type prefix and a time-ordered random part, e.g. ``cus_01JD3...``.

Why not database sequences: ids are made in the process before the row is written, so
an outbox payload or an idempotent replay can name a record before it commits, and the
same code works on SQLite and on many PostgreSQL writers. The time prefix keeps ids in
creation order, which cursor pagination relies on.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


def _base32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    """A new id: ``prefix_`` + 10 characters of milliseconds + 16 random characters."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_base32(millis, 10)}{_base32(rand, 16)}"
