"""ratio_split: parts add back to the whole, each within a quantum of its exact share."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revbridge.domain.money import D
from revbridge.domain.split import ratio_split

CENT = D("0.01")


def test_three_ways_tie_goes_to_the_first() -> None:
    assert ratio_split(D("1.00"), [1, 1, 1], CENT) == [D("0.34"), D("0.33"), D("0.33")]


def test_negative_amounts_split_symmetrically() -> None:
    assert ratio_split(D("-1.00"), [1, 1, 1], CENT) == [D("-0.34"), D("-0.33"), D("-0.33")]


def test_zero_weight_gets_nothing() -> None:
    assert ratio_split(D("10.00"), [0, 1, 3], CENT) == [D("0.00"), D("2.50"), D("7.50")]


def test_non_decimal_quantum() -> None:
    assert ratio_split(D("1.00"), [1, 1, 1], D("0.05")) == [D("0.35"), D("0.35"), D("0.30")]


def test_amounts_beyond_the_default_decimal_precision_stay_exact() -> None:
    parts = ratio_split(D("1000000000000000000000000000.00"), [1, 2], CENT)
    assert parts == [D("333333333333333333333333333.33"), D("666666666666666666666666666.67")]


@pytest.mark.parametrize(
    ("amount", "weights", "quantum", "message"),
    [
        (D("1.00"), [], CENT, "at least one weight"),
        (D("1.00"), [0, 0], CENT, "not all zero"),
        (D("1.00"), [1, -1], CENT, "non-negative"),
        (D("1.005"), [1], CENT, "not a multiple"),
        (D("1.00"), [1], D("0"), "quantum must be positive"),
    ],
)
def test_refusals(amount: Decimal, weights: list[int], quantum: Decimal, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ratio_split(amount, weights, quantum)


@given(
    st.integers(-(10**12), 10**12),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=12).filter(any),
    st.sampled_from([D("1"), CENT, D("0.001"), D("0.05")]),
)
def test_parts_sum_exactly_and_stay_near_their_share(
    units: int, weights: list[int], quantum: Decimal
) -> None:
    amount = units * quantum
    parts = ratio_split(amount, weights, quantum)
    assert sum(parts, Decimal(0)) == amount
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert part % quantum == 0
        exact = Fraction(amount) * weight / total
        assert abs(Fraction(part) - exact) < Fraction(quantum)
