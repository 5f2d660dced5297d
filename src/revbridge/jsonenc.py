"""JSON for every face: decimals as strings, instants as RFC 3339 UTC with ``Z``.

Standard encoders turn ``Decimal`` into ``float``; money must never take that path, so
the API's answers and the CLI's ``--json`` output both go through ``dumps`` here.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(data: Any, indent: int | None = None) -> bytes:
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(data, default=_default, separators=separators, indent=indent, ensure_ascii=False).encode()
