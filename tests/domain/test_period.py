"""Periods: half-open, tiling, month arithmetic in the customer's zone, anchor fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revbridge.domain.period import (
    Interval,
    Period,
    add_months,
    billing_periods,
    check_aware,
    period_containing,
    utc,
)

BERLIN = ZoneInfo("Europe/Berlin")
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe"]


def starts(anchor: datetime, interval: Interval, n: int, tz: str = "UTC") -> list[datetime]:
    return [p.start for p in islice(billing_periods(anchor, interval, tz), n)]


def test_period_is_half_open() -> None:
    january = Period(utc(2025, 1, 1), utc(2025, 2, 1))
    assert utc(2025, 1, 1) in january
    assert utc(2025, 2, 1) not in january
    assert january.duration == timedelta(days=31)


def test_period_refuses_empty_and_naive() -> None:
    with pytest.raises(ValueError, match="after start"):
        Period(utc(2025, 1, 1), utc(2025, 1, 1))
    with pytest.raises(ValueError, match="time zone is required"):
        Period(datetime(2025, 1, 1), utc(2025, 2, 1))


def test_period_is_stored_in_utc() -> None:
    local = Period(datetime(2025, 1, 1, tzinfo=BERLIN), datetime(2025, 2, 1, tzinfo=BERLIN))
    assert local.start.tzinfo is UTC
    assert local == Period(utc(2024, 12, 31, 23), utc(2025, 1, 31, 23))
    assert str(local) == "[2024-12-31T23:00:00+00:00, 2025-01-31T23:00:00+00:00)"


def test_overlap_and_intersection() -> None:
    a = Period(utc(2025, 1, 1), utc(2025, 1, 20))
    b = Period(utc(2025, 1, 10), utc(2025, 2, 1))
    c = Period(utc(2025, 1, 20), utc(2025, 2, 1))
    assert a.overlaps(b) and not a.overlaps(c)
    assert a.intersect(b) == Period(utc(2025, 1, 10), utc(2025, 1, 20))
    assert a.intersect(c) is None


def test_check_aware_converts_to_utc() -> None:
    assert check_aware(datetime(2025, 6, 1, 2, tzinfo=BERLIN)) == utc(2025, 6, 1)


def test_anchor_31_falls_back_then_returns() -> None:
    assert starts(utc(2024, 1, 31), Interval.MONTH, 4) == [
        utc(2024, 1, 31),
        utc(2024, 2, 29),
        utc(2024, 3, 31),
        utc(2024, 4, 30),
    ]
    assert starts(utc(2025, 1, 31), Interval.MONTH, 3) == [
        utc(2025, 1, 31),
        utc(2025, 2, 28),
        utc(2025, 3, 31),
    ]


def test_add_months_remembers_the_anchor_not_the_last_day() -> None:
    feb = add_months(datetime(2025, 1, 31), 1, 31)
    assert feb == datetime(2025, 2, 28)
    assert add_months(feb, 1, 31) == datetime(2025, 3, 31)
    assert add_months(datetime(2025, 3, 31), -13, 31) == datetime(2024, 2, 29)


def test_quarters_and_years() -> None:
    assert starts(utc(2024, 11, 30), Interval.QUARTER, 3) == [
        utc(2024, 11, 30),
        utc(2025, 2, 28),
        utc(2025, 5, 30),
    ]
    assert starts(utc(2024, 2, 29), Interval.YEAR, 2) == [utc(2024, 2, 29), utc(2025, 2, 28)]


def test_months_start_at_local_midnight_across_dst() -> None:
    anchor = datetime(2025, 1, 1, tzinfo=BERLIN)
    periods = list(islice(billing_periods(anchor, Interval.MONTH, "Europe/Berlin"), 12))
    for period in periods:
        local = period.start.astimezone(BERLIN)
        assert (local.day, local.hour, local.minute) == (1, 0, 0)
    march = periods[2]
    assert march.duration == timedelta(days=31, hours=-1)  # the spring-forward hour


def test_period_containing_refuses_moments_before_the_anchor() -> None:
    with pytest.raises(ValueError, match="before the billing anchor"):
        period_containing(utc(2024, 12, 31), utc(2025, 1, 1), Interval.MONTH)


anchors = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@given(anchors, st.sampled_from(list(Interval)), st.sampled_from(ZONES))
def test_billing_periods_tile_time(anchor: datetime, interval: Interval, tz: str) -> None:
    periods = list(islice(billing_periods(anchor, interval, tz), 15))
    assert periods[0].start == anchor
    for before, after in pairwise(periods):
        assert before.end == after.start


@given(
    anchors,
    st.integers(0, 5 * 366 * 24 * 3600),
    st.sampled_from(list(Interval)),
    st.sampled_from(ZONES),
)
def test_period_containing_agrees_with_the_enumeration(
    anchor: datetime, offset: int, interval: Interval, tz: str
) -> None:
    moment = anchor + timedelta(seconds=offset)
    found = period_containing(moment, anchor, interval, tz)
    assert moment in found
    assert found in set(
        islice(billing_periods(anchor, interval, tz), 5 * 12 // interval.months + 2)
    )
