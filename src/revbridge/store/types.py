"""Column types that keep money exact and instants in UTC on every backend."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, Inexact
from typing import Any

from sqlalchemy import JSON, Dialect, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TIMESTAMP, TypeDecorator, TypeEngine


def sqlite_instant(value: datetime) -> str:
    """The SQLite text of a UTC instant, as ``UTCDateTime`` writes it, for raw fast paths."""
    if value.utcoffset() != _ZERO:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_ZERO = timedelta(0)


class Amount(TypeDecorator[Decimal]):
    """An exact decimal: unconstrained NUMERIC on PostgreSQL, decimal text on SQLite.

    Both keep the scale they are given (``60.00`` reads back as ``60.00``), so every
    backend returns the same ``Decimal``.

    SQLite's NUMERIC affinity would turn 0.1 into a binary float, so it stores text.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(asdecimal=True))  # unconstrained: keeps the scale it is given

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"Amount columns take finite Decimals, got {value!r}")
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value)


_EXACT = Context(prec=400, traps=[Inexact])


def sqlite_decimal_add(a: str | None, b: str | None) -> str | None:
    """``a + b`` over two Amount texts, exactly: SQLite's own ``+`` goes through floats.

    Registered on every SQLite connection as ``revbridge_dec_add``; NULL is no value.
    """
    if a is None or b is None:
        return a if b is None else b
    return format(_EXACT.add(Decimal(a), Decimal(b)), "f")


def sqlite_decimal_max(a: str | None, b: str | None) -> str | None:
    """The greater of two Amount texts by value (``revbridge_dec_max``); NULL is no value."""
    if a is None or b is None:
        return a if b is None else b
    return a if Decimal(a) >= Decimal(b) else b


class UTCDateTime(TypeDecorator[datetime]):
    """A UTC instant: ``timestamptz`` on PostgreSQL, sortable ISO text on SQLite."""

    impl = TIMESTAMP
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(TIMESTAMP(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused: {value.isoformat()}")
        return sqlite_instant(value) if dialect.name == "sqlite" else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # our own fixed format: fromisoformat reads it many times faster
            return datetime.fromisoformat(value)
        return value.astimezone(UTC)


class JSONDoc(TypeDecorator[Any]):
    """A JSON document: JSONB on PostgreSQL, text on SQLite; decimals kept as strings."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=_refuse_float)
        return json.loads(text) if dialect.name == "postgresql" else text

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or not isinstance(value, str):
            return value
        return json.loads(value)


def _refuse_float(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
