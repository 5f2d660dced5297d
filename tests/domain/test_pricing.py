"""The pricing engine: every model, free units, minimums, commitments and coupons."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revbridge.catalog.model import Plan, Price, PriceModel, Tier, Timing
from revbridge.domain.money import D, round_money
from revbridge.domain.period import Interval
from revbridge.domain.pricing import (
    ChargeLine,
    Coupon,
    CouponDuration,
    LineKind,
    apply_coupons,
    commitment_true_up,
    rate_plan,
    rate_price,
)
from revbridge.errors import PricingError

API_TIERS = (
    Tier(D("10000"), D("0")),
    Tier(D("100000"), D("0.002")),
    Tier(None, D("0.001"), D("5")),
)


def price(model: PriceModel = PriceModel.PER_UNIT, **overrides: object) -> Price:
    """A usage price with sensible defaults; keyword arguments override any field."""
    fields: dict[str, object] = {
        "code": "api_calls",
        "model": model,
        "timing": Timing.IN_ARREARS,
        "meter": "calls",
    }
    fields.update(overrides)
    return Price(**fields)  # type: ignore[arg-type]


def rate(p: Price, quantity: str | int | Decimal, currency: str = "USD") -> ChargeLine:
    return rate_price(p, D(quantity), currency, "v1")


# --- models ------------------------------------------------------------------------


def test_flat_fee() -> None:
    line = rate(price(PriceModel.FLAT, meter=None, amount=D("49")), 1)
    assert (line.amount, line.unit_price, line.kind) == (D("49.00"), D("49"), LineKind.CHARGE)
    assert line.meter is None and not line.is_usage


def test_per_unit_keeps_the_unit_price_decimals() -> None:
    line = rate(price(amount=D("0.0015")), 12350)
    assert line.unit_price == D("0.0015")
    assert line.unrounded_amount == D("18.5250")
    assert line.amount == D("18.53")
    assert line.is_usage


def test_included_quantity_is_deducted_first_and_never_below_zero() -> None:
    p = price(amount=D("0.10"), included_quantity=D("1000"))
    assert rate(p, 1500).billable_quantity == 500
    assert rate(p, 1500).amount == D("50.00")
    assert rate(p, 300).billable_quantity == 0
    assert rate(p, 300).amount == D("0.00")


def test_graduated_prices_each_tier_separately() -> None:
    line = rate(price(PriceModel.GRADUATED, tiers=API_TIERS), 125000)
    assert [(t.index, t.start, t.up_to, t.units, t.amount) for t in line.tiers] == [
        (0, 0, D("10000"), D("10000"), D("0")),
        (1, D("10000"), D("100000"), D("90000"), D("180.000")),
        (2, D("100000"), None, D("25000"), D("30.000")),
    ]
    assert line.amount == D("210.00")
    assert line.unit_price == D("0.0016800000")  # the average, for information


def test_graduated_tier_flat_fee_only_when_a_unit_falls_in_it() -> None:
    p = price(PriceModel.GRADUATED, tiers=API_TIERS)
    assert rate(p, 100000).amount == D("180.00")
    assert rate(p, D("100000.5")).amount == D("185.00")  # 0.0005 + 5 flat, rounded


def test_graduated_upper_bound_is_inclusive() -> None:
    line = rate(price(PriceModel.GRADUATED, tiers=API_TIERS), 10000)
    assert [t.index for t in line.tiers] == [0]


def test_volume_prices_all_units_at_the_tier_reached() -> None:
    tiers = (
        Tier(D("1000"), D("0.05")),
        Tier(D("10000"), D("0.04"), D("10")),
        Tier(None, D("0.03")),
    )
    p = price(PriceModel.VOLUME, tiers=tiers)
    assert rate(p, 1000).amount == D("50.00")
    line = rate(p, 1001)
    assert line.amount == D("50.04")  # 1001 x 0.04 + 10
    assert line.unit_price == D("0.04")
    assert [(t.index, t.units, t.flat_fee) for t in line.tiers] == [(1, D("1001"), D("10"))]
    assert rate(p, 0).amount == D("0.00")


def test_package_counts_started_packages() -> None:
    p = price(PriceModel.PACKAGE, amount=D("10"), package_size=D("1000"))
    assert rate(p, 0).amount == D("0.00")
    assert rate(p, 1).amount == D("10.00")
    assert rate(p, 1000).amount == D("10.00")
    assert rate(p, 1001).amount == D("20.00")
    assert "2 started package(s) of 1000 units" in rate(p, 1001).explanation


def test_percentage_of_a_metered_amount() -> None:
    line = rate(price(PriceModel.PERCENTAGE, percent=D("2.9")), D("1234.56"))
    assert line.unit_price == D("0.029")
    assert line.unrounded_amount == D("35.80224")
    assert line.amount == D("35.80")


def test_minimum_amount_trues_up_inside_the_line() -> None:
    p = price(amount=D("0.01"), minimum_amount=D("25"))
    low = rate(p, 1234)
    assert (low.amount, low.true_up, low.unrounded_amount) == (D("25.00"), D("12.66"), D("25"))
    assert "Minimum 25 applies: true-up 12.66" in low.explanation
    high = rate(p, 3000)
    assert (high.amount, high.true_up) == (D("30.00"), D("0.00"))


def test_zero_decimal_and_three_decimal_currencies() -> None:
    p = price(amount=D("0.35"))
    assert rate(p, 3, "JPY").amount == D("1")
    assert rate(p, 3, "KWD").amount == D("1.050")


def test_explanation_tells_the_story() -> None:
    line = rate(price(PriceModel.GRADUATED, tiers=API_TIERS, included_quantity=D("500")), 10500)
    assert line.explanation == (
        "api_calls (graduated, price version v1): quantity 10500, 500 included, 10000 billable. "
        "tier 1 (0, 10000]: 10000 x 0 = 0. Subtotal 0. Amount 0.00 USD."
    )


# --- refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "quantity", "message"),
    [
        (price(amount=D("1")), D("-1"), "must not be negative"),
        (price(amount=D("1")), 1.5, "must be a Decimal"),
        (price(amount=D("1")), Decimal("NaN"), "not a finite number"),
        (price(), D("1"), "per_unit price needs amount"),
        (price(PriceModel.PACKAGE, amount=D("1")), D("1"), "needs package_size"),
        (price(PriceModel.PACKAGE, amount=D("1"), package_size=D("0")), D("1"), "must be positive"),
        (price(PriceModel.PERCENTAGE), D("1"), "needs percent"),
        (price(PriceModel.GRADUATED), D("1"), "needs tiers"),
        (price(amount=D("-1")), D("1"), "amount: must not be negative"),
        (
            price(PriceModel.GRADUATED, tiers=(Tier(D("10"), D("1")), Tier(D("5"), D("1")))),
            D("1"),
            r"tiers\[1\].up_to: tiers must ascend, got 5 after 10",
        ),
        (
            price(PriceModel.VOLUME, tiers=(Tier(None, D("1")), Tier(D("5"), D("1")))),
            D("1"),
            "only the last tier may be unbounded",
        ),
        (
            price(PriceModel.VOLUME, tiers=(Tier(D("10"), D("1")),)),
            D("11"),
            "beyond the last tier",
        ),
    ],
)
def test_refuses_what_it_cannot_rate(p: Price, quantity: object, message: str) -> None:
    with pytest.raises(PricingError, match=message):
        rate_price(p, quantity, "USD", "v1")  # type: ignore[arg-type]


def test_refuses_unknown_currency() -> None:
    with pytest.raises(PricingError, match="ISO 4217"):
        rate_price(price(amount=D("1")), D("1"), "DOLLARS", "v1")


# --- invariants --------------------------------------------------------------------

prices_ = st.integers(0, 10**6).map(lambda n: Decimal(n).scaleb(-4))


@st.composite
def tier_tables(draw: st.DrawFn) -> tuple[Tier, ...]:
    """Ascending bounds, any non-negative prices and fees, last tier unbounded."""
    bounds = sorted(draw(st.sets(st.integers(1, 10**6), max_size=5)))
    prices = [draw(prices_) for _ in range(len(bounds) + 1)]
    fees = [draw(st.sampled_from([D("0"), D("0"), D("5"), D("12.5")])) for _ in prices]
    ups: list[Decimal | None] = [D(b) for b in bounds]
    return tuple(Tier(up, pr, fee) for up, pr, fee in zip([*ups, None], prices, fees, strict=True))


quantities = st.integers(0, 2 * 10**6).map(lambda n: Decimal(n).scaleb(-1))


@given(tier_tables(), quantities)
def test_graduated_total_is_the_sum_over_tiers(tiers: tuple[Tier, ...], quantity: Decimal) -> None:
    line = rate(price(PriceModel.GRADUATED, tiers=tiers), quantity)
    assert line.unrounded_amount == sum((t.amount for t in line.tiers), Decimal(0))
    assert sum((t.units for t in line.tiers), Decimal(0)) == quantity
    assert line.amount == round_money(line.unrounded_amount, "USD")


@given(tier_tables(), quantities, quantities)
def test_graduated_price_never_falls_as_quantity_grows(
    tiers: tuple[Tier, ...], a: Decimal, b: Decimal
) -> None:
    p = price(PriceModel.GRADUATED, tiers=tiers)
    low, high = sorted((a, b))
    assert rate(p, low).unrounded_amount <= rate(p, high).unrounded_amount
    assert rate(p, low).amount <= rate(p, high).amount


@given(tier_tables(), quantities, st.integers(0, 10**6).map(D))
def test_minimum_is_a_floor_and_never_lowers(
    tiers: tuple[Tier, ...], quantity: Decimal, floor: Decimal
) -> None:
    plain = rate(price(PriceModel.GRADUATED, tiers=tiers), quantity)
    floored = rate(price(PriceModel.GRADUATED, tiers=tiers, minimum_amount=floor), quantity)
    assert floored.amount == max(plain.amount, round_money(floor, "USD"))
    assert floored.amount == plain.amount + floored.true_up


# --- plan, commitment --------------------------------------------------------------

PLAN = Plan(
    code="growth",
    name="Growth",
    currency="EUR",
    interval=Interval.MONTH,
    minimum_commitment=D("100"),
    prices=(
        Price("base", PriceModel.FLAT, Timing.IN_ADVANCE, amount=D("49")),
        Price("seats", PriceModel.PER_UNIT, Timing.IN_ADVANCE, amount=D("10")),
        price(amount=D("0.002")),
    ),
)


def test_rate_plan_adds_a_commitment_true_up_over_usage_only() -> None:
    lines = rate_plan(PLAN, {"seats": D("5"), "api_calls": D("20000")}, "v7")
    assert [(x.code, x.kind, x.amount) for x in lines] == [
        ("base", LineKind.CHARGE, D("49.00")),
        ("seats", LineKind.CHARGE, D("50.00")),
        ("api_calls", LineKind.CHARGE, D("40.00")),
        ("minimum_commitment", LineKind.COMMITMENT, D("60.00")),
    ]
    assert all(x.version == "v7" for x in lines)


def test_rate_plan_without_shortfall_has_no_true_up() -> None:
    lines = rate_plan(PLAN, {"seats": D("1"), "api_calls": D("60000")}, "v7")
    assert [x.kind for x in lines] == [LineKind.CHARGE] * 3


def test_rate_plan_needs_a_quantity_for_seats_and_usage() -> None:
    with pytest.raises(PricingError, match="seats: no quantity"):
        rate_plan(PLAN, {"api_calls": D("1")}, "v7")


def test_commitment_refuses_lines_in_another_currency() -> None:
    line = rate(price(amount=D("1")), 1, "USD")
    with pytest.raises(PricingError, match="expected EUR"):
        commitment_true_up([line], D("10"), "EUR", "v1")


# --- coupons -----------------------------------------------------------------------


def usd_lines(*amounts: str) -> list[ChargeLine]:
    return [
        rate(price(PriceModel.FLAT, code=f"p{i}", meter=None, amount=D(a)), 1)
        for i, a in enumerate(amounts)
    ]


def discounts(lines: list[ChargeLine]) -> list[Decimal]:
    return [x.amount for x in lines if x.kind is LineKind.DISCOUNT]


def test_percentage_then_fixed_coupon_apply_in_order() -> None:
    coupons = [
        Coupon("WELCOME10", CouponDuration.ONCE, percent_off=D("10")),
        Coupon("FIVE", CouponDuration.FOREVER, amount_off=D("5"), currency="USD"),
    ]
    out = apply_coupons(usd_lines("33.33", "66.67"), coupons, 1, "USD", "v1")
    assert discounts(out) == [D("-10.00"), D("-5.00")]
    assert discounts(apply_coupons(usd_lines("100"), coupons, 2, "USD", "v1")) == [D("-5.00")]


def test_coupon_durations() -> None:
    once = Coupon("A", CouponDuration.ONCE, percent_off=D("50"))
    three = Coupon("B", CouponDuration.REPEATING, percent_off=D("50"), periods=3)
    always = Coupon("C", CouponDuration.FOREVER, percent_off=D("50"))
    assert [once.applies_in(k) for k in (1, 2)] == [True, False]
    assert [three.applies_in(k) for k in (1, 3, 4)] == [True, True, False]
    assert always.applies_in(1000)
    with pytest.raises(PricingError, match="start at 1"):
        once.applies_in(0)


def test_coupon_never_takes_the_invoice_below_zero() -> None:
    big = Coupon("BIG", CouponDuration.ONCE, amount_off=D("500"), currency="USD")
    out = apply_coupons(usd_lines("30", "12.5"), [big, big], 1, "USD", "v1")
    assert discounts(out) == [D("-42.50")]
    assert sum(x.amount for x in out) == 0
    assert "capped at the subtotal" in out[-1].explanation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"amount_off": D("1"), "percent_off": D("1")}, "exactly one of"),
        ({"amount_off": D("1")}, "have a currency"),
        ({"percent_off": D("120")}, r"in \(0, 100\]"),
        ({"percent_off": D("10"), "periods": 2}, "repeating coupons only"),
    ],
)
def test_coupon_refusals(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PricingError, match=message):
        Coupon("X", CouponDuration.ONCE, **kwargs)  # type: ignore[arg-type]


def test_coupon_in_another_currency_is_refused() -> None:
    euro = Coupon("EURO", CouponDuration.ONCE, amount_off=D("5"), currency="EUR")
    with pytest.raises(PricingError, match="coupon is in EUR"):
        apply_coupons(usd_lines("10"), [euro], 1, "USD", "v1")


@given(
    st.lists(st.integers(0, 10**7).map(lambda n: Decimal(n).scaleb(-2)), min_size=1, max_size=6),
    st.lists(
        st.one_of(
            st.integers(1, 100).map(
                lambda n: Coupon("P", CouponDuration.FOREVER, percent_off=D(n))
            ),
            st.integers(1, 10**6).map(
                lambda n: Coupon(
                    "F", CouponDuration.FOREVER, amount_off=Decimal(n).scaleb(-2), currency="USD"
                )
            ),
        ),
        max_size=4,
    ),
)
def test_coupons_never_make_an_invoice_negative(
    amounts: list[Decimal], coupons: list[Coupon]
) -> None:
    out = apply_coupons(usd_lines(*map(str, amounts)), coupons, 1, "USD", "v1")
    total = sum((x.amount for x in out), Decimal(0))
    assert 0 <= total <= sum(amounts, Decimal(0))
    assert all(d <= 0 for d in discounts(out))
