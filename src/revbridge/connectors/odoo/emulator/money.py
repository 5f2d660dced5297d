"""Decimal arithmetic the way Odoo rounds, and amounts printed the way Odoo prints them.

Why a float goes through ``repr``: Odoo rounds half-up on the *decimal* value a client
meant (2.675 -> 2.68, FACTS.md 1), although the binary float 2.675 is a hair below it.
The shortest ``repr`` of a float is exactly the decimal the client wrote.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)


def to_decimal(value: object) -> Decimal:
    """A wire number (int, float, numeric string) or Decimal as an exact Decimal."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, (int, str)):
        return Decimal(value)
    raise TypeError(f"not a number: {value!r}")


def round_to(value: Decimal, rounding: Decimal) -> Decimal:
    """Half-up (away from zero) to a multiple of ``rounding`` (0.01, 1, 0.05, ...)."""
    if rounding <= 0:
        return value
    steps = (value / rounding).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (steps * rounding).quantize(rounding) if rounding < 1 else steps * rounding


def round_digits(value: Decimal, digits: int) -> Decimal:
    """Half-up to ``digits`` decimal places (``decimal.precision`` fields)."""
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def format_amount(value: Decimal, symbol: str, position: str, decimals: int) -> str:
    """``$\u00a0100.00`` / ``100.00\u00a0€``: Odoo joins symbol and number with a
    no-break space (14_journal_entry)."""
    number = f"{round_digits(value, decimals):,.{decimals}f}"
    return f"{symbol}\u00a0{number}" if position == "before" else f"{number}\u00a0{symbol}"


def to_wire(value: object) -> object:
    """Decimals become floats at the wire, recursively; everything else is kept."""
    if isinstance(value, Decimal):
        return float(value) + 0.0  # no "-0.0" on the wire
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value
