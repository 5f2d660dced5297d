"""Values at Odoo's wire: exact Decimals out as floats, floats back in as Decimals.

Why a module: XML-RPC and JSON only carry binary floats, and Odoo reads them into its own
float fields, so a ``Decimal`` must become a float at the last moment and only if the
float says exactly the same decimal (its shortest ``repr``), which is what Odoo rounds
(FACTS.md 1: 2.675 stays 2.675, rounded half-up to 2.68). An amount that would not
survive the trip is refused here rather than sent approximately. On the way back a
float is read through its ``repr``, so ``41.53`` is ``Decimal("41.53")``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.errors import OdooRefused

__all__ = ["from_wire_amount", "to_wire", "to_wire_amount"]


def to_wire_amount(value: Decimal) -> float:
    """``value`` as the float whose shortest decimal form is ``value`` exactly."""
    number = float(value)
    if Decimal(repr(number)) != value:
        raise OdooRefused(f"amount {value} cannot travel to Odoo exactly as a float")
    return number + 0.0  # never "-0.0"


def from_wire_amount(value: Any) -> Decimal:
    """An Odoo number (float, int, ``False`` for empty) as an exact Decimal."""
    if value is False or value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def to_wire(value: Any) -> Any:
    """Arguments ready for XML-RPC or JSON: Decimals exact-checked, dates as ISO text,
    tuples as lists, None as ``False`` (Odoo's empty value; XML-RPC has no null)."""
    if isinstance(value, Decimal):
        return to_wire_amount(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if value.tzinfo else (
            value.strftime("%Y-%m-%d %H:%M:%S")
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return False
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value
