"""Exact quantities: what parses, to what canonical value, and what is refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from revbridge.ingest import parse_quantity


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (5, "5"),
        (-3, "-3"),
        (Decimal("1.50"), "1.5"),
        (Decimal("1E+2"), "100"),
        (Decimal("-0.0"), "0"),
        ("12.5", "12.5"),
        ("-0", "0"),
        ("1.0000000000000000000", "1"),
        ("999999999999999.999999999999", "999999999999999.999999999999"),
        (0.1, "0.1"),
    ],
)
def test_accepted(given: Any, expected: str) -> None:
    got = parse_quantity(given)
    assert type(got) is Decimal
    assert str(got) == expected


@pytest.mark.parametrize(
    "given",
    [True, False, None, [], {}, "NaN", "nan", "Infinity", "-Infinity", "1e400", Decimal("1E+400"),
     Decimal("NaN"), Decimal("Infinity"), 10**15, -(10**15), "1000000000000000", "1e-13",
     Decimal("1.000000000000000000000000000000001"), " 1", "1_000", "+1", "0x10", "١", "",
     float("nan"), float("inf"), "1" * 100],
)
def test_refused(given: Any) -> None:
    with pytest.raises(ValueError):
        parse_quantity(given)
