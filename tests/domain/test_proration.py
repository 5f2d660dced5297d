"""Proration: shares by days or seconds, exact splits, credits that add back to the fee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revbridge.domain.money import D, quantum, round_money
from revbridge.domain.period import Period, utc
from revbridge.domain.proration import (
    ProrationBasis,
    Share,
    mid_period_change,
    prorate,
    prorate_split,
    share_of,
    split_period,
    unused_credit,
)
from revbridge.errors import PricingError

MARCH = Period(utc(2025, 3, 1), utc(2025, 4, 1))
FEB = Period(utc(2025, 2, 1), utc(2025, 3, 1))
SECONDS = ProrationBasis.SECONDS


def test_share_by_days_is_half_open() -> None:
    assert share_of(MARCH, Period(utc(2025, 3, 1), utc(2025, 3, 11))) == Share(10, 31)
    assert share_of(MARCH, MARCH) == Share(31, 31)
    assert share_of(MARCH, MARCH).is_whole


def test_a_change_mid_day_gives_that_day_to_the_new_span() -> None:
    before = share_of(FEB, Period(FEB.start, utc(2025, 2, 15, 13)))
    after = share_of(FEB, Period(utc(2025, 2, 15, 13), FEB.end))
    assert (before.part, after.part, before.whole) == (14, 14, 28)


def test_days_are_counted_in_the_customers_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    month = Period(datetime(2025, 3, 1, tzinfo=berlin), datetime(2025, 4, 1, tzinfo=berlin))
    late_evening = datetime(2025, 3, 10, 23, 30, tzinfo=berlin)  # still the 10th in Berlin
    span = Period(late_evening, month.end)
    assert share_of(month, span, tz="Europe/Berlin") == Share(22, 31)
    # Counted in UTC the month would end on Mar 31 (22:00 UTC): a day short.
    assert share_of(month, span, tz="UTC") == Share(21, 31)


def test_share_by_seconds() -> None:
    half = share_of(MARCH, Period(MARCH.start, MARCH.start + MARCH.duration / 2), basis=SECONDS)
    assert (half.part * 2, half.whole) == (half.whole, MARCH.duration // timedelta(microseconds=1))
    assert str(half) == f"{half.part}/{half.whole} microseconds"


def test_span_outside_the_period_is_refused() -> None:
    with pytest.raises(PricingError, match="not inside the period"):
        share_of(MARCH, Period(utc(2025, 2, 20), utc(2025, 3, 5)))


def test_a_sub_day_period_cannot_be_prorated_by_days() -> None:
    hours = Period(utc(2025, 3, 1, 1), utc(2025, 3, 1, 5))
    with pytest.raises(PricingError, match="prorate it by seconds"):
        share_of(hours, hours)
    assert share_of(hours, hours, basis=SECONDS).is_whole


def test_prorate_rounds_once() -> None:
    assert prorate(D("100"), Share(10, 31), "USD") == D("32.26")
    assert prorate(D("100"), Share(10, 31), "JPY") == D("32")
    assert prorate(D("0.05"), Share(1, 2), "USD") == D("0.03")  # 0.025 half-up
    with pytest.raises(PricingError, match="not a share"):
        prorate(D("1"), Share(3, 2), "USD")


def test_split_period_sorts_and_deduplicates_cuts() -> None:
    pieces = split_period(MARCH, [utc(2025, 3, 20), utc(2025, 3, 10), utc(2025, 3, 10)])
    assert [(p.start.day, p.end.day) for p in pieces] == [(1, 10), (10, 20), (20, 1)]
    with pytest.raises(PricingError, match="strictly inside"):
        split_period(MARCH, [MARCH.start])
    with pytest.raises(PricingError, match="strictly inside"):
        split_period(MARCH, [MARCH.end])


def test_prorate_split_adds_back_exactly() -> None:
    parts = prorate_split(D("100"), MARCH, [utc(2025, 3, 11), utc(2025, 3, 21)], "USD")
    assert [amount for _, amount in parts] == [D("32.26"), D("32.26"), D("35.48")]
    assert sum(amount for _, amount in parts) == D("100.00")


def test_unused_credit_and_used_part_add_back_to_the_fee() -> None:
    # 0.05 over 2 days, cancelled after 1: used 0.025 -> 0.03, so the credit is 0.02
    two_days = Period(utc(2025, 3, 1), utc(2025, 3, 3))
    assert unused_credit(D("0.05"), two_days, utc(2025, 3, 2), "USD") == D("0.02")
    assert unused_credit(D("30"), MARCH, MARCH.start, "USD") == D("30.00")
    with pytest.raises(PricingError, match="not inside"):
        unused_credit(D("30"), MARCH, MARCH.end, "USD")


def test_mid_period_change_credits_old_and_charges_new() -> None:
    change = mid_period_change(D("31"), D("62"), MARCH, utc(2025, 3, 21), "USD")
    assert (change.credit, change.charge, change.remaining) == (
        D("11.00"),
        D("22.00"),
        Share(11, 31),
    )
    assert change.net == D("11.00")


# --- invariants --------------------------------------------------------------------

fees = st.integers(0, 10**9).map(lambda n: Decimal(n).scaleb(-2))
currencies = st.sampled_from(["USD", "JPY", "KWD"])
bases = st.sampled_from(list(ProrationBasis))
period_starts = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start = draw(period_starts)
    return Period(
        start,
        start + timedelta(days=draw(st.integers(1, 400)), seconds=draw(st.integers(0, 86399))),
    )


@st.composite
def cut_lists(draw: st.DrawFn, period: Period) -> list[datetime]:
    span = period.duration // timedelta(seconds=1)
    offsets = draw(st.lists(st.integers(1, span - 1), max_size=8)) if span > 1 else []
    return [period.start + timedelta(seconds=o) for o in offsets]


@given(fees, currencies, periods(), bases)
def test_prorating_the_full_period_gives_the_full_price(
    fee: Decimal, currency: str, period: Period, basis: ProrationBasis
) -> None:
    fee = round_money(fee, currency)
    assert prorate(fee, share_of(period, period, basis=basis), currency) == fee


@given(st.data(), fees, currencies, periods(), bases)
def test_split_shares_sum_to_the_whole_fee(
    data: st.DataObject, fee: Decimal, currency: str, period: Period, basis: ProrationBasis
) -> None:
    fee = round_money(fee, currency)
    cuts = data.draw(cut_lists(period))
    parts = prorate_split(fee, period, cuts, currency, basis=basis)
    assert sum((amount for _, amount in parts), Decimal(0)) == fee
    assert [p for p, _ in parts] == split_period(period, cuts)
    # Rounding each piece on its own drifts, but by at most one minor unit per cut.
    independent = [prorate(fee, share_of(period, p, basis=basis), currency) for p, _ in parts]
    drift = abs(sum(independent, Decimal(0)) - fee)
    assert drift <= quantum(currency) * max(1, len(parts) - 1)


@given(st.data(), fees, currencies, periods(), bases)
def test_credit_plus_used_is_the_fee(
    data: st.DataObject, fee: Decimal, currency: str, period: Period, basis: ProrationBasis
) -> None:
    fee = round_money(fee, currency)
    at = data.draw(st.sampled_from([period.start, *data.draw(cut_lists(period))]))
    credit = unused_credit(fee, period, at, currency, basis=basis)
    used = fee - credit
    assert 0 <= credit <= fee
    if at > period.start:
        assert used == prorate(
            fee, share_of(period, Period(period.start, at), basis=basis), currency
        )
