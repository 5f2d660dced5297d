"""Half-open periods ``[start, end)`` of UTC instants, and billing-period arithmetic.

One convention, fixed everywhere: a period includes its start and excludes its end, so
consecutive periods tile time with no gap and no overlap, and an event exactly on a
boundary belongs to exactly one period. Month arithmetic is done in the account's time
zone (a customer's month starts at its local midnight) and the result stored in UTC.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo


class Interval(str, Enum):
    """How often a recurring price bills."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.value]


def check_aware(moment: datetime, field: str = "time") -> datetime:
    """Refuse naive datetimes; return the instant in UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{field}: a time zone is required, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


@dataclass(frozen=True, order=True)
class Period:
    """The half-open span ``[start, end)`` between two UTC instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        # Stored in UTC whatever zone the caller used, so equal periods print, hash and
        # serialise the same (``str`` of a Berlin-built period showed ``+01:00``).
        object.__setattr__(self, "start", check_aware(self.start, "start"))
        object.__setattr__(self, "end", check_aware(self.end, "end"))
        if not self.start < self.end:
            raise ValueError(f"period end {self.end} must be after start {self.start}")

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Period) -> bool:
        return self.start < other.end and other.start < self.end

    def intersect(self, other: Period) -> Period | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start, end) if start < end else None

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


def add_months(local: datetime, months: int, anchor_day: int) -> datetime:
    """``local`` moved by ``months`` calendar months onto ``anchor_day``.

    The anchor day falls back to the month's last day when the month is shorter
    (anchor 31 gives Feb 28 or 29, then Mar 31 again): the anchor is remembered, not the
    day the previous period happened to start on.
    """
    index = local.year * 12 + (local.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def billing_periods(
    anchor: datetime, interval: Interval, tz: str = "UTC"
) -> Iterator[Period]:
    """The endless run of billing periods starting at ``anchor``.

    Boundaries keep the anchor's local wall-clock time and day of month in ``tz``
    (so a Berlin customer's months start at Berlin midnight across DST changes).
    """
    zone = ZoneInfo(tz)
    local = check_aware(anchor, "anchor").astimezone(zone).replace(tzinfo=None)
    step = interval.months
    n = 0
    while True:
        start = add_months(local, step * n, local.day).replace(tzinfo=zone)
        end = add_months(local, step * (n + 1), local.day).replace(tzinfo=zone)
        yield Period(start.astimezone(UTC), end.astimezone(UTC))
        n += 1


def period_containing(
    moment: datetime, anchor: datetime, interval: Interval, tz: str = "UTC"
) -> Period:
    """The billing period (anchored at ``anchor``) that contains ``moment``.

    Moments before the anchor are refused: a subscription has no period before it starts.
    """
    moment = check_aware(moment, "moment")
    if moment < check_aware(anchor, "anchor"):
        raise ValueError(f"{moment.isoformat()} is before the billing anchor {anchor.isoformat()}")
    # Jump close to the answer instead of walking from the anchor: months apart, minus one.
    zone = ZoneInfo(tz)
    local_anchor = anchor.astimezone(zone)
    local_moment = moment.astimezone(zone)
    months = (local_moment.year - local_anchor.year) * 12 + local_moment.month - local_anchor.month
    skip = max(0, months // interval.months - 1)
    base = local_anchor.replace(tzinfo=None)
    for n in range(skip, skip + 3):
        start = add_months(base, interval.months * n, base.day).replace(tzinfo=zone)
        end = add_months(base, interval.months * (n + 1), base.day).replace(tzinfo=zone)
        period = Period(start.astimezone(UTC), end.astimezone(UTC))
        if moment in period:
            return period
    raise AssertionError("unreachable: period search overshot")  # pragma: no cover


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A UTC instant, for tests, examples and the demo."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
