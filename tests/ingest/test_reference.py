"""The reference aggregation, by hand-worked examples per aggregation and boundary."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from msgspec.structs import replace

from revbridge.catalog.model import Aggregation, Filter, FilterOp, Meter
from revbridge.domain.period import Period, utc
from revbridge.ingest import UsageEvent, UsageKey, Window, aggregate, quantity

MARCH = Period(utc(2025, 3, 1), utc(2025, 4, 1))
_ids = iter(range(1_000_000))


def ev(time: datetime, value: Any = None, *, customer: str = "c1", kind: str = "req",
       source: str = "s", ident: str | None = None, **data: Any) -> UsageEvent:
    payload = dict(data)
    if value is not None:
        payload["v"] = value
    ident = ident or f"e{next(_ids)}"
    return UsageEvent(source, ident, kind, customer, customer, time, payload, {}, "", b"")


def meter(aggregation: Aggregation, **kw: Any) -> Meter:
    value = None if aggregation is Aggregation.COUNT else "v"
    return Meter(aggregation.value, "req", aggregation, value_property=value, **kw)


BOUNDARY = [
    ev(utc(2025, 2, 28, 23, 59, 59), Decimal(100)),  # before the period
    ev(utc(2025, 3, 1), Decimal(1)),  # exactly at start: included
    ev(utc(2025, 3, 15), Decimal("2.5")),
    ev(utc(2025, 3, 31, 23, 59, 59), Decimal(3)),
    ev(utc(2025, 4, 1), Decimal(1000)),  # exactly at end: excluded
    ev(utc(2025, 3, 10), Decimal(50), kind="other"),  # another meter's type
]
WHOLE = UsageKey("c1", (), None)


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        (Aggregation.COUNT, Decimal(3)),
        (Aggregation.SUM, Decimal("6.5")),
        (Aggregation.MAX, Decimal(3)),
        (Aggregation.UNIQUE_COUNT, Decimal(3)),
        (Aggregation.LATEST, Decimal(3)),
    ],
)
def test_period_boundaries(aggregation: Aggregation, expected: Decimal) -> None:
    events = BOUNDARY
    if aggregation is Aggregation.UNIQUE_COUNT:  # counted values are strings or integers
        events = [replace(e, data={"v": str(e.data["v"])}) for e in BOUNDARY]
    assert aggregate(meter(aggregation), events, MARCH) == {WHOLE: expected}
    assert quantity(meter(aggregation), events, MARCH, "c1") == expected


@pytest.mark.parametrize(
    ("aggregation", "empty"),
    [
        (Aggregation.COUNT, Decimal(0)),
        (Aggregation.SUM, Decimal(0)),
        (Aggregation.UNIQUE_COUNT, Decimal(0)),
        (Aggregation.MAX, None),
        (Aggregation.LATEST, None),
    ],
)
def test_no_usage(aggregation: Aggregation, empty: Decimal | None) -> None:
    assert aggregate(meter(aggregation), BOUNDARY, Period(utc(2024, 1, 1), utc(2024, 2, 1))) == {}
    assert quantity(meter(aggregation), BOUNDARY, MARCH, "nobody") == empty


def test_sum_is_exact_at_any_size() -> None:
    events = [ev(utc(2025, 3, 2), Decimal("999999999999999.999999999999")) for _ in range(1000)]
    total = quantity(meter(Aggregation.SUM), events, MARCH, "c1")
    assert total == Decimal("999999999999999999.999999999")


def test_max_with_negative_values() -> None:
    events = [ev(utc(2025, 3, 2), Decimal(-5)), ev(utc(2025, 3, 3), Decimal(-2))]
    assert quantity(meter(Aggregation.MAX), events, MARCH, "c1") == Decimal(-2)


def test_unique_count_compares_text() -> None:
    events = [ev(utc(2025, 3, 2), v) for v in ("u1", "u2", "u1", 42, "42", 7)]
    assert quantity(meter(Aggregation.UNIQUE_COUNT), events, MARCH, "c1") == Decimal(4)


def test_latest_breaks_ties_by_source_then_id() -> None:
    t = utc(2025, 3, 20)
    events = [
        ev(utc(2025, 3, 25), Decimal(1)),
        ev(utc(2025, 3, 26), Decimal(2), source="a", ident="z"),
        ev(utc(2025, 3, 26), Decimal(3), source="b", ident="a"),  # greatest (time, source, id)
        ev(utc(2025, 3, 26), Decimal(4), source="a", ident="zz"),
        ev(t, Decimal(5)),
    ]
    assert quantity(meter(Aggregation.LATEST), events, MARCH, "c1") == Decimal(3)
    same_source = [ev(t, Decimal(6), ident="b"), ev(t, Decimal(7), ident="c"), ev(t, Decimal(8), ident="a")]
    assert quantity(meter(Aggregation.LATEST), same_source, MARCH, "c1") == Decimal(7)


def test_events_without_a_value_take_no_part() -> None:
    events = [ev(utc(2025, 3, 2)), ev(utc(2025, 3, 3), Decimal(4)), ev(utc(2025, 3, 4), customer="c2")]
    assert aggregate(meter(Aggregation.SUM), events, MARCH) == {WHOLE: Decimal(4)}
    assert aggregate(meter(Aggregation.LATEST), events, MARCH) == {WHOLE: Decimal(4)}
    assert aggregate(meter(Aggregation.COUNT), events, MARCH) == {
        WHOLE: Decimal(2), UsageKey("c2", (), None): Decimal(1)
    }


def test_filters_apply() -> None:
    m = meter(Aggregation.SUM, filters=(Filter("region", FilterOp.IN, ("eu", "uk")),))
    events = [
        ev(utc(2025, 3, 2), Decimal(1), region="eu"),
        ev(utc(2025, 3, 2), Decimal(2), region="us"),
        ev(utc(2025, 3, 2), Decimal(4), region="uk"),
        ev(utc(2025, 3, 2), Decimal(8)),
    ]
    assert quantity(m, events, MARCH, "c1") == Decimal(5)


def test_group_by_and_customers() -> None:
    m = meter(Aggregation.SUM, group_by=("model", "beta"))
    events = [
        ev(utc(2025, 3, 2), Decimal(1), model="small", beta=True),
        ev(utc(2025, 3, 3), Decimal(2), model="small", beta=True),
        ev(utc(2025, 3, 3), Decimal(4), model="large"),
        ev(utc(2025, 3, 3), Decimal(8), model="small", beta=True, customer="c2"),
    ]
    assert aggregate(m, events, MARCH) == {
        UsageKey("c1", ("small", "true"), None): Decimal(3),
        UsageKey("c1", ("large", None), None): Decimal(4),
        UsageKey("c2", ("small", "true"), None): Decimal(8),
    }
    assert aggregate(m, events, MARCH, group_by=()) == {
        UsageKey("c1", (), None): Decimal(7),
        UsageKey("c2", (), None): Decimal(8),
    }


@pytest.mark.parametrize(
    ("window", "keys"),
    [
        (Window.HOUR, {utc(2025, 3, 31, 22): 1, utc(2025, 3, 31, 23): 2}),
        (Window.DAY, {utc(2025, 3, 30): 1, utc(2025, 3, 31): 3}),
        (Window.MONTH, {utc(2025, 3, 1): 4}),
    ],
)
def test_windows_are_utc_and_half_open(window: Window, keys: dict[datetime, int]) -> None:
    events = [
        ev(utc(2025, 3, 30, 23, 59, 59), Decimal(1)),
        ev(utc(2025, 3, 31, 22, 0), Decimal(1)),
        ev(utc(2025, 3, 31, 23, 0), Decimal(1)),  # on an hour boundary: the later hour
        ev(utc(2025, 3, 31, 23, 59, 59), Decimal(1)),
        ev(utc(2025, 4, 1), Decimal(1)),  # the period's end: excluded
    ]
    period = Period(utc(2025, 3, 30, 12), utc(2025, 4, 1))
    got = aggregate(meter(Aggregation.COUNT), events, period, window=window)
    if window is Window.HOUR:
        keys = {utc(2025, 3, 30, 23): 1, **keys}
    assert got == {UsageKey("c1", (), k): Decimal(n) for k, n in keys.items()}


def test_month_window_key_may_precede_a_mid_month_period() -> None:
    period = Period(utc(2025, 3, 15), utc(2025, 4, 15))
    events = [ev(utc(2025, 3, 10), Decimal(1)), ev(utc(2025, 3, 20), Decimal(1)), ev(utc(2025, 4, 2), Decimal(1))]
    assert aggregate(meter(Aggregation.COUNT), events, period, window=Window.MONTH) == {
        UsageKey("c1", (), utc(2025, 3, 1)): Decimal(1),
        UsageKey("c1", (), utc(2025, 4, 1)): Decimal(1),
    }


def test_values_ingest_never_stores_are_refused() -> None:
    with pytest.raises(TypeError):
        quantity(meter(Aggregation.SUM), [ev(utc(2025, 3, 2), "12")], MARCH, "c1")
    with pytest.raises(TypeError):
        quantity(meter(Aggregation.UNIQUE_COUNT), [ev(utc(2025, 3, 2), Decimal("1.5"))], MARCH, "c1")


def test_window_of_an_offset_time() -> None:
    from datetime import timedelta, timezone

    from revbridge.ingest.reference import window_start

    local = datetime(2025, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert window_start(local, Window.DAY) == datetime(2025, 2, 28, tzinfo=UTC)
