"""Money: one number constructor, rounding at the minor unit, no currency mixing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revbridge.domain.money import D, Money, check_currency, minor_unit, quantum, round_money
from revbridge.errors import ValidationError

CURRENCIES = ["USD", "EUR", "JPY", "KWD", "CLF"]
# Any amount with up to 8 decimals, positive or negative: the inputs rounding meets.
amounts = st.integers(-(10**14), 10**14).map(lambda n: Decimal(n).scaleb(-8))


def test_d_builds_from_str_int_and_decimal() -> None:
    assert D("12.50") == Decimal("12.50")
    assert D(3) == Decimal(3)
    assert D(Decimal("0.1")) == Decimal("0.1")


@pytest.mark.parametrize("bad", [0.1, True])
def test_d_refuses_float_and_bool(bad: object) -> None:
    with pytest.raises(TypeError):
        D(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", "sNaN"])
def test_d_refuses_non_finite_and_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        D(bad)


@pytest.mark.parametrize(
    ("currency", "digits", "step"),
    [("USD", 2, "0.01"), ("JPY", 0, "1"), ("KWD", 3, "0.001"), ("CLF", 4, "0.0001")],
)
def test_minor_units(currency: str, digits: int, step: str) -> None:
    assert minor_unit(currency) == digits
    assert quantum(currency) == Decimal(step)


def test_check_currency_refuses_unknown_codes() -> None:
    assert check_currency("EUR") == "EUR"
    with pytest.raises(ValidationError, match="ISO 4217"):
        check_currency("XXX1")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.675", "USD", "2.68"),  # Odoo: half-up, not binary-float 2.67
        ("-2.675", "USD", "-2.68"),  # half away from zero
        ("12.345", "USD", "12.35"),
        ("0.0015", "USD", "0.00"),
        ("1234.5", "JPY", "1235"),
        ("1.2345", "KWD", "1.235"),
    ],
)
def test_round_money_half_up_like_odoo(amount: str, currency: str, expected: str) -> None:
    result = round_money(D(amount), currency)
    assert result == D(expected)
    assert result.as_tuple().exponent == -minor_unit(currency)


def test_round_money_half_even_on_request() -> None:
    assert round_money(D("2.665"), "USD", "half_even") == D("2.66")


def test_round_money_refuses_unknown_mode() -> None:
    with pytest.raises(ValueError, match="rounding mode"):
        round_money(D("1"), "USD", "up")


def test_round_money_rounds_amounts_beyond_the_default_precision() -> None:
    huge = D("1000000000000000000000000000.005")
    assert round_money(huge, "USD") == D("1000000000000000000000000000.01")


@given(amounts, st.sampled_from(CURRENCIES))
def test_rounding_is_idempotent(amount: Decimal, currency: str) -> None:
    once = round_money(amount, currency)
    assert round_money(once, currency) == once
    assert abs(once - amount) <= quantum(currency) / 2


def test_money_arithmetic_keeps_the_currency() -> None:
    a, b = Money.of("1.50", "USD"), Money.of("2.25", "USD")
    assert a + b == Money.of("3.75", "USD")
    assert b - a == Money.of("0.75", "USD")
    assert -a == Money.of("-1.50", "USD")
    assert sum([a, b], Money.zero("USD")) == Money.of("3.75", "USD")
    assert str(a) == "1.50 USD"


def test_money_refuses_to_mix_currencies() -> None:
    with pytest.raises(ValueError, match="cannot combine"):
        Money.of("1", "USD") + Money.of("1", "EUR")
    with pytest.raises(ValueError, match="cannot combine"):
        _ = Money.of("1", "USD") < Money.of("2", "EUR")


def test_money_multiplies_the_amount_not_the_tuple() -> None:
    price = Money.of("1.50", "USD")
    assert price * 3 == Money.of("4.50", "USD")
    assert D("0.5") * price == Money.of("0.75", "USD")
    with pytest.raises(TypeError):
        _ = price * 0.5
    with pytest.raises(TypeError):
        price.times(0.5)  # type: ignore[arg-type]


def test_money_adding_a_plain_tuple_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _ = Money.of("1", "USD") + (Decimal(1), "USD")


def test_money_orders_within_a_currency_and_rounds() -> None:
    assert Money.of("1", "JPY") < Money.of("2", "JPY") <= Money.of("2", "JPY")
    assert max(Money.of("3", "EUR"), Money.of("2", "EUR")) == Money.of("3", "EUR")
    assert Money.of("1234.5", "JPY").rounded() == Money.of("1235", "JPY")
