"""Exact quantities read from event data: JSON numbers and numeric strings to ``Decimal``.

A usage quantity ends up multiplied by a price, so it must be exact from the first
byte: numbers are read from their JSON text (the decoder hands floats over as
``Decimal``), never through ``float``. The accepted range, ``|v| < 10**15`` with at most
12 decimal places, holds every realistic count, byte total or duration and keeps every
product with a price within 28 significant digits, the default ``Decimal`` precision.

The value returned is canonical (no trailing zeros, no exponent), so ``1.50``, ``"1.5"``
and ``15e-1`` are stored alike and hash alike in an event's digest.
"""

from __future__ import annotations

import math
import re
from decimal import Context, Decimal, Inexact, InvalidOperation
from typing import Any

MAX_MAGNITUDE = 10**15
MAX_DECIMAL_PLACES = 12

_LIMIT = Decimal(MAX_MAGNITUDE)
_PLACES = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
_ONE = Decimal(1)
# Wide enough for any in-range value; Inexact trapped, so nothing is ever rounded.
_EXACT = Context(prec=MAX_DECIMAL_PLACES + 16, traps=[Inexact, InvalidOperation])
# The JSON number grammar, ASCII only: Decimal() alone would also take "NaN", " 1",
# "1_000" and non-ASCII digits.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)
_MAX_TEXT = 64


def parse_quantity(value: Any) -> Decimal:
    """``value`` as an exact, canonical ``Decimal``, or ``ValueError`` saying why not.

    Takes JSON integers, decimals decoded from JSON text, and strings holding a JSON
    number. Refuses booleans (JSON ``true`` is not 1 here), ``NaN``, infinities,
    non-numeric strings and anything out of range. Negative values pass: a correction
    event may take usage back. A Python ``float`` (Parquet doubles)
    is read through its shortest round-trip text, the number its writer printed.
    """
    kind = type(value)
    if kind is int:
        if -MAX_MAGNITUDE < value < MAX_MAGNITUDE:
            return Decimal(value)
        raise ValueError(_out_of_range())
    if kind is Decimal:
        return _checked(value)
    if kind is str:
        return _checked(_from_text(value))
    if kind is float:
        if not math.isfinite(value):
            raise ValueError("expected a finite number")
        return _checked(Decimal(repr(value)))
    if kind is bool:
        raise ValueError("expected a number, got a boolean")
    raise ValueError(f"expected a number, got {_kind_name(value)}")


def _from_text(text: str) -> Decimal:
    if len(text) > _MAX_TEXT or not _NUMBER.fullmatch(text):
        raise ValueError("expected a number, got a string that is not a JSON number")
    return Decimal(text)


def _checked(number: Decimal) -> Decimal:
    if not number.is_finite():
        raise ValueError("expected a finite number")
    if not -_LIMIT < number < _LIMIT:
        raise ValueError(_out_of_range())
    try:
        _EXACT.quantize(number, _PLACES)  # raises when digits beyond the 12th place are lost
    except Inexact:
        raise ValueError(f"more than {MAX_DECIMAL_PLACES} decimal places") from None
    return canonical(number)


def canonical(number: Decimal) -> Decimal:
    """The same value without trailing zeros or exponent: ``100`` not ``1E+2``, ``0`` not ``-0``."""
    reduced = _EXACT.normalize(number)
    if reduced == reduced.to_integral_value():
        return _EXACT.quantize(reduced, _ONE) if reduced else Decimal(0)
    return reduced


def _out_of_range() -> str:
    return "out of range: the magnitude must be below 10^15"


def _kind_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__
