"""Billing cases worked out by hand: each docstring shows the arithmetic the test checks."""

from __future__ import annotations

from decimal import Decimal

from revbridge.catalog.model import Plan, Price, PriceModel, Tier, Timing
from revbridge.domain.money import D
from revbridge.domain.period import Interval, Period, utc
from revbridge.domain.pricing import (
    Coupon,
    CouponDuration,
    LineKind,
    apply_coupons,
    rate_plan,
    rate_price,
)
from revbridge.domain.proration import mid_period_change
from revbridge.domain.tax import RoundingMethod, TaxCustomer, TaxProfile, TaxRate, compute_tax

FEBRUARY_2026 = Period(utc(2026, 2, 1), utc(2026, 3, 1))  # 28 days
MARCH_2026 = Period(utc(2026, 3, 1), utc(2026, 4, 1))  # 31 days


def usage(model: PriceModel, **fields: object) -> Price:
    """A metered price named ``usage``; ``fields`` are the model's own settings."""
    common: dict[str, object] = {"code": "usage", "timing": Timing.IN_ARREARS, "meter": "m"}
    return Price(model=model, **common, **fields)  # type: ignore[arg-type]


def test_graduated_month_of_api_calls() -> None:
    """125,000 calls; 0-10,000 free, 10,001-100,000 at 0.002, above at 0.001.

    10,000 x 0     =   0.00
    90,000 x 0.002 = 180.00
    25,000 x 0.001 =  25.00
    total            205.00 USD
    """
    tiers = (Tier(D("10000"), D("0")), Tier(D("100000"), D("0.002")), Tier(None, D("0.001")))
    line = rate_price(usage(PriceModel.GRADUATED, tiers=tiers), D("125000"), "USD", "2026-01")
    assert [t.amount for t in line.tiers] == [D("0"), D("180.000"), D("25.000")]
    assert line.amount == D("205.00")


def test_upgrade_in_a_28_day_february() -> None:
    """Starter 29.00 -> Pro 99.00 (both in advance) on Feb 10, 2026.

    Starter used Feb 1-9: 9/28 x 29.00 = 9.3214 -> 9.32; credit 29.00 - 9.32 = 19.68
    Pro for Feb 10-28:   19/28 x 99.00 = 67.1786 -> 67.18
    net due on the upgrade: 67.18 - 19.68 = 47.50
    """
    change = mid_period_change(D("29.00"), D("99.00"), FEBRUARY_2026, utc(2026, 2, 10), "USD")
    assert (change.credit, change.charge, change.net) == (D("19.68"), D("67.18"), D("47.50"))
    assert (change.remaining.part, change.remaining.whole) == (19, 28)


def test_seat_increase_mid_month() -> None:
    """10 -> 15 seats at 12.00 on Mar 21 (11 of 31 days left).

    credit for 10 seats: 120.00 - 20/31 x 120.00 (77.42) = 42.58
    charge for 15 seats: 11/31 x 180.00 = 63.87
    net: 21.29 (the same as 5 seats x 12.00 x 11/31 = 21.29)
    """
    change = mid_period_change(D("120"), D("180"), MARCH_2026, utc(2026, 3, 21), "EUR")
    assert (change.credit, change.charge, change.net) == (D("42.58"), D("63.87"), D("21.29"))


def test_minimum_commitment_true_up() -> None:
    """Commitment 500.00 EUR of usage a month; the platform fee does not count.

    usage: 160,200 GB x 0.002 = 320.40; platform fee 99.00
    true-up: 500.00 - 320.40 = 179.60; invoice 99.00 + 320.40 + 179.60 = 599.00
    """
    plan = Plan(
        code="scale",
        name="Scale",
        currency="EUR",
        interval=Interval.MONTH,
        minimum_commitment=D("500"),
        prices=(
            Price("platform", PriceModel.FLAT, Timing.IN_ADVANCE, amount=D("99")),
            usage(PriceModel.PER_UNIT, amount=D("0.002")),
        ),
    )
    lines = rate_plan(plan, {"usage": D("160200")}, "v3")
    assert [(x.kind, x.amount) for x in lines] == [
        (LineKind.CHARGE, D("99.00")),
        (LineKind.CHARGE, D("320.40")),
        (LineKind.COMMITMENT, D("179.60")),
    ]
    assert sum(x.amount for x in lines) == D("599.00")


def test_tax_inclusive_price() -> None:
    """A 49.99 EUR price including 20 % VAT.

    tax = 49.99 x 20 / 120 = 8.3317 -> 8.33; net = 49.99 - 8.33 = 41.66
    """
    profile = TaxProfile("FR", "EUR", (TaxRate("FR", D("20")),), prices_include_tax=True)
    [line] = compute_tax([D("49.99")], TaxCustomer("FR"), profile).lines
    assert (line.net, line.tax, line.gross) == (D("41.66"), D("8.33"), D("49.99"))


def test_jpy_and_kwd_amounts() -> None:
    """1,234 calls at 0.35 JPY = 431.9 -> 432 JPY; at 0.01255 KWD = 15.4867 -> 15.487 KWD."""
    jpy = rate_price(usage(PriceModel.PER_UNIT, amount=D("0.35")), D("1234"), "JPY", "v1")
    kwd = rate_price(usage(PriceModel.PER_UNIT, amount=D("0.01255")), D("1234"), "KWD", "v1")
    assert (jpy.amount, str(jpy.amount)) == (D("432"), "432")
    assert (kwd.amount, str(kwd.amount)) == (D("15.487"), "15.487")


def test_global_versus_per_line_tax_rounding() -> None:
    """Three lines of 1.03 at 20 % (what Odoo 17 computes).

    per line: 3 x round(0.206) = 3 x 0.21 = 0.63
    globally: round(3 x 0.206 = 0.618)     = 0.62
    """
    rates = (TaxRate("FR", D("20")),)
    lines = [D("1.03")] * 3
    per_line = compute_tax(lines, TaxCustomer("FR"), TaxProfile("FR", "EUR", rates))
    globally = compute_tax(
        lines,
        TaxCustomer("FR"),
        TaxProfile("FR", "EUR", rates, rounding_method=RoundingMethod.GLOBALLY),
    )
    assert (per_line.tax_total, globally.tax_total) == (D("0.63"), D("0.62"))


def test_package_price() -> None:
    """2,400 SMS, 500 included, 10.00 per started 1,000: 1,900 billable -> 2 packages = 20.00."""
    price = usage(
        PriceModel.PACKAGE, amount=D("10"), package_size=D("1000"), included_quantity=D("500")
    )
    line = rate_price(price, D("2400"), "USD", "v1")
    assert (line.billable_quantity, line.amount) == (D("1900"), D("20.00"))


def test_volume_tier() -> None:
    """24 seats; 1-10 at 15.00, 11-50 at 12.00, above at 10.00: all 24 at 12.00 = 288.00."""
    tiers = (Tier(D("10"), D("15")), Tier(D("50"), D("12")), Tier(None, D("10")))
    line = rate_price(usage(PriceModel.VOLUME, tiers=tiers), D("24"), "USD", "v1")
    assert (line.unit_price, line.amount) == (D("12"), D("288.00"))


def test_coupon_larger_than_the_invoice_is_capped_at_zero() -> None:
    """A 100.00 USD coupon on a 79.00 invoice discounts 79.00; the invoice is 0.00, not -21.00."""
    fee = rate_price(
        Price("pro", PriceModel.FLAT, Timing.IN_ADVANCE, amount=D("79")), D("1"), "USD", "v1"
    )
    coupon = Coupon("LAUNCH", CouponDuration.ONCE, amount_off=D("100"), currency="USD")
    lines = apply_coupons([fee], [coupon], 1, "USD", "v1")
    assert [x.amount for x in lines] == [D("79.00"), D("-79.00")]
    assert sum((x.amount for x in lines), Decimal(0)) == 0
