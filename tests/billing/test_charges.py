"""Expected charges worked out by hand (pure: no database). Docstrings show the arithmetic."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from revbridge.billing.charges import BillingTerms, Charge, PlanTerms, expected_charges, grid_period
from revbridge.catalog.phases import Phase
from revbridge.catalog.spec import load_catalog
from revbridge.domain.period import Interval, Period, utc
from revbridge.domain.pricing import Coupon, CouponDuration
from revbridge.errors import PricingError

from .conftest import CATALOG

PLANS = {p.code: PlanTerms(f"pv-{p.code}", 1, p, {x.code: f"price-{p.code}-{x.code}" for x in p.prices})
         for p in load_catalog(CATALOG, "catalog.yaml").plans}
BY_ID = {t.id: t for t in PLANS.values()}


def terms(*phases: Phase, anchor: datetime | None = None, currency: str = "USD", tz: str = "UTC",
          coupons: tuple[Coupon, ...] = ()) -> BillingTerms:
    return BillingTerms("sub", "cus", currency, anchor or phases[0].starts_at, phases[0].starts_at, tz,
                        tuple(phases), coupons)


def phase(plan: str, start: datetime, end: datetime | None = None, quantity: int = 1, trial: bool = False) -> Phase:
    return Phase(start, end, f"pv-{plan}", quantity, trial)


def usage(table: dict[tuple[datetime, datetime], int]) -> object:
    def lookup(meter: str, period: Period) -> Decimal:
        return Decimal(table.get((period.start, period.end), 0))
    return lookup


def amounts(charges: list[Charge], period_start: datetime | None = None) -> list[tuple[str, Decimal]]:
    """(price code, amount) of the charges, only those of the period starting at ``period_start``."""
    return [(c.price_code, c.amount) for c in charges if period_start is None or c.period.start == period_start]


def test_graduated_month() -> None:
    """Basic in January: platform 29.00; 12,500 calls graduated.

    0-1,000 free; 1,001-10,000: 9,000 x 0.002 = 18.00; above: 2,500 x 0.001 = 2.50
    usage 20.50, total 49.50
    """
    jan = (utc(2026, 1, 1), utc(2026, 2, 1))
    got = expected_charges(terms(phase("basic", jan[0])), BY_ID, usage({jan: 12500}), utc(2026, 2, 1))
    assert amounts(got)[-1] == ("platform", Decimal("29.00"))  # February's, in advance
    assert amounts(got, jan[0]) == [("platform", Decimal("29.00")), ("api_calls", Decimal("20.50"))]
    tiers = got[1].rating["tiers"]
    assert [(t["units"], t["amount"]) for t in tiers] == [("1000", "0"), ("9000", "18.000"), ("2500", "2.500")]
    assert got[1].due_at == utc(2026, 2, 1) and got[0].due_at == utc(2026, 1, 1)


def test_only_charges_due_by_as_of() -> None:
    """In advance at the period start, in arrears at its end."""
    got = expected_charges(terms(phase("basic", utc(2026, 1, 1))), BY_ID, usage({}), utc(2026, 1, 15))
    assert amounts(got) == [("platform", Decimal("29.00"))]


def test_upgrade_in_a_28_day_february() -> None:
    """Basic 29.00 -> Pro 99.00 on Feb 10 (both in advance).

    basic Feb 1-9: 9/28 x 29.00 = 9.32; pro Feb 10-28: 19/28 x 99.00 = 67.18
    seats (1 x 12.00): 19/28 x 12.00 = 8.14; usage per phase: 800 calls in basic (free),
    3,000 in pro (3.00)
    """
    feb, cut, mar = utc(2026, 2, 1), utc(2026, 2, 10), utc(2026, 3, 1)
    t = terms(phase("basic", feb, cut), phase("pro", cut), anchor=feb)
    got = expected_charges(t, BY_ID, usage({(feb, cut): 800, (cut, mar): 3000}), mar)
    assert amounts(got, feb) == [
        ("platform", Decimal("9.32")), ("api_calls", Decimal("0.00")),
        ("platform", Decimal("67.18")), ("seats", Decimal("8.14")), ("api_calls", Decimal("3.00")),
    ]
    assert got[0].rating["share"] == "9/28 days" and got[2].service == Period(cut, mar)
    assert got[0].key != got[2].key  # each plan version has its own key


def test_seat_increase_mid_month() -> None:
    """Pro, 10 -> 15 seats on Mar 21 (20 + 11 of 31 days), one key, two parts.

    10 x 12.00 x 20/31 = 77.42; 15 x 12.00 x 11/31 = 63.87; seats total 141.29
    """
    mar, cut = utc(2026, 3, 1), utc(2026, 3, 21)
    t = terms(phase("pro", mar, cut, 10), phase("pro", cut, None, 15))
    got = [c for c in expected_charges(t, BY_ID, usage({}), mar) if c.price_code == "seats"]
    assert [c.amount for c in got] == [Decimal("77.42"), Decimal("63.87")]
    assert len({c.key for c in got}) == 1


def test_minimum_commitment_true_up() -> None:
    """Scale: 100,000 calls x 0.002 = 200.00 of usage against a 500.00 commitment: true-up 300.00."""
    jan = (utc(2026, 1, 1), utc(2026, 2, 1))
    got = expected_charges(terms(phase("scale", jan[0])), BY_ID, usage({jan: 100000}), jan[1])
    assert amounts(got, jan[0]) == [("platform", Decimal("99.00")), ("api_calls", Decimal("200.00")),
                            ("minimum_commitment", Decimal("300.00"))]
    assert got[2].kind == "commitment" and got[2].due_at == jan[1]


def test_trial_is_not_billed() -> None:
    start, trial_end = utc(2026, 1, 1), utc(2026, 1, 15)
    t = terms(phase("basic", start, trial_end, trial=True), phase("basic", trial_end), anchor=start)
    got = expected_charges(t, BY_ID, usage({}), utc(2026, 2, 1))
    assert amounts(got, start) == [("platform", Decimal("15.90")), ("api_calls", Decimal("0.00"))]  # 17/31 x 29.00


def test_quarter_and_year_intervals_and_anchor_day_fallback() -> None:
    """A quarter from Jan 31 ends Apr 30 (anchor 31 falls back), then Jul 31."""
    anchor = utc(2026, 1, 31)
    assert grid_period(anchor, Interval.QUARTER, "UTC", 0) == Period(anchor, utc(2026, 4, 30))
    assert grid_period(anchor, Interval.QUARTER, "UTC", 1) == Period(utc(2026, 4, 30), utc(2026, 7, 31))
    got = expected_charges(terms(phase("quarterly", anchor)), BY_ID, usage({}), utc(2026, 5, 1))
    assert [(c.period.start, c.amount) for c in got] == [(anchor, Decimal("300.00")), (utc(2026, 4, 30), Decimal("300.00"))]
    yearly = expected_charges(terms(phase("yearly", utc(2026, 3, 1))), BY_ID, usage({}), utc(2027, 3, 1))
    assert [c.period for c in yearly] == [Period(utc(2026, 3, 1), utc(2027, 3, 1)), Period(utc(2027, 3, 1), utc(2028, 3, 1))]


def test_a_start_before_the_anchor_is_a_stub_period() -> None:
    """Started Jan 20, anchored Feb 1: Jan 20-31 is 12/31 of the period ending at the anchor."""
    t = terms(phase("basic", utc(2026, 1, 20)), anchor=utc(2026, 2, 1))
    got = expected_charges(t, BY_ID, usage({}), utc(2026, 1, 20))
    assert [(c.service, c.amount) for c in got] == [(Period(utc(2026, 1, 20), utc(2026, 2, 1)), Decimal("11.23"))]


def test_periods_follow_the_customer_time_zone() -> None:
    t = terms(phase("basic", utc(2026, 1, 1, 5)), tz="America/New_York")
    got = expected_charges(t, BY_ID, usage({}), utc(2026, 2, 1, 5))
    assert next(c.period.end for c in got if c.price_code == "platform") == utc(2026, 2, 1, 5)


def test_a_coupon_larger_than_the_period_caps_at_zero() -> None:
    coupon = Coupon("WELCOME", CouponDuration.ONCE, amount_off=Decimal(100), currency="USD")
    got = expected_charges(terms(phase("basic", utc(2026, 1, 1)), coupons=(coupon,)), BY_ID, usage({}),
                           utc(2026, 2, 1))
    jan = amounts(got, utc(2026, 1, 1))
    assert jan[-1] == ("WELCOME", Decimal("-29.00")) and sum(a for _, a in jan) == 0
    assert amounts(got, utc(2026, 2, 1)) == [("platform", Decimal("29.00"))]  # once: February pays in full


def test_a_plan_without_a_price_in_the_currency_is_refused() -> None:
    with pytest.raises(PricingError, match="has no price in EUR"):
        expected_charges(terms(phase("basic", utc(2026, 1, 1)), currency="EUR"), BY_ID, usage({}), utc(2026, 1, 2))
