"""Shares of a service period: what part of a period fee a sub-span owes.

Why a module of its own: upgrades, downgrades, quantity changes, cancellations and
first or last partial periods all cut a period fee, and finance checks two things about
every cut: that the pieces add back to the fee to the cent, and that the full period
costs exactly the full price. Both hold here by construction.

How a span is measured (``ProrationBasis``):

- ``days`` (default): whole calendar days, counted as the difference between the local
  dates (in the customer's billing time zone) of the span's two instants. The count is
  half-open like periods: ``[Feb 1, Feb 15)`` is 14 days, and a change at 13:00 on
  Feb 15 starts a span that owns Feb 15. Day counts of consecutive spans telescope, so
  they always add up to the period's day count.
- ``seconds``: elapsed time, measured to the microsecond, for contracts that prorate by
  the instant.

A share is kept as an exact ratio of two integers (``Share``), never a decimal fraction,
so 10/31 stays exact until the single rounding at the line boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from enum import Enum
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo

from revbridge.domain.money import quantum, round_money
from revbridge.domain.period import Period, check_aware
from revbridge.domain.split import ratio_split
from revbridge.errors import PricingError

__all__ = [
    "PeriodChange",
    "ProrationBasis",
    "Share",
    "mid_period_change",
    "prorate",
    "prorate_split",
    "share_of",
    "split_period",
    "unused_credit",
]

# Digits for ``amount * part / whole`` before the one rounding: far more than an amount
# (~15) plus a year in microseconds (~14) need, so the rounding sees the exact side of
# every half-way point.
_WORKING_PRECISION = 60
_MICROSECOND = timedelta(microseconds=1)


class ProrationBasis(str, Enum):
    """What a span is measured in: calendar days (default) or elapsed seconds."""

    DAYS = "days"
    SECONDS = "seconds"


class Share(NamedTuple):
    """``part`` of ``whole`` units (days or microseconds): an exact ratio."""

    part: int
    whole: int
    basis: ProrationBasis = ProrationBasis.DAYS

    @property
    def is_whole(self) -> bool:
        return self.part == self.whole

    def __str__(self) -> str:
        unit = "days" if self.basis is ProrationBasis.DAYS else "microseconds"
        return f"{self.part}/{self.whole} {unit}"


class PeriodChange(NamedTuple):
    """A mid-period change of an in-advance fee: credit the old, charge the new."""

    credit: Decimal  # unused share of the old fee, positive, to be credited
    charge: Decimal  # remaining share of the new fee, positive, to be charged
    remaining: Share  # the share of the period after the change

    @property
    def net(self) -> Decimal:
        """What the change costs the customer (negative: what it gives back)."""
        return self.charge - self.credit


def share_of(
    period: Period,
    span: Period,
    *,
    basis: ProrationBasis = ProrationBasis.DAYS,
    tz: str = "UTC",
) -> Share:
    """The share of ``period`` that the sub-span ``span`` covers.

    ``span`` must lie inside ``period``: a span that spills over is a caller's bug (it
    should intersect first), not something to clip silently.
    """
    if not (period.start <= span.start and span.end <= period.end):
        raise PricingError(f"span {span} is not inside the period {period}")
    return _share(period, span.start, span.end, basis, tz)


def prorate(amount: Decimal, share: Share, currency: str, *, rounding: str = "half_up") -> Decimal:
    """``amount`` x ``share``, rounded once to the currency's minor unit.

    A whole share returns ``amount`` itself (rounded): the full period costs the full
    price, exactly.
    """
    if share.whole <= 0 or not 0 <= share.part <= share.whole:
        raise PricingError(f"share {share} is not a share of a period")
    with localcontext() as ctx:
        ctx.prec = _WORKING_PRECISION
        return round_money(amount * share.part / share.whole, currency, rounding)


def split_period(period: Period, cuts: Sequence[datetime]) -> list[Period]:
    """``period`` cut at ``cuts`` into consecutive pieces that tile it.

    Cuts may come in any order; repeated cuts count once. A cut on or outside the
    period's bounds is refused: it would make an empty piece or leave the period.
    """
    points = sorted({check_aware(cut, "cut") for cut in cuts})
    for cut in points:
        if cut not in period or cut == period.start:
            raise PricingError(f"cut {cut.isoformat()} is not strictly inside {period}")
    bounds = [period.start, *points, period.end]
    return [Period(a, b) for a, b in pairwise(bounds)]


def prorate_split(
    amount: Decimal,
    period: Period,
    cuts: Sequence[datetime],
    currency: str,
    *,
    basis: ProrationBasis = ProrationBasis.DAYS,
    tz: str = "UTC",
    rounding: str = "half_up",
) -> list[tuple[Period, Decimal]]:
    """``amount`` spread over ``period`` cut at ``cuts``; the pieces add up exactly.

    Each piece is weighted by its measure and the rounded amount is cut with
    ``ratio_split`` (largest remainder), so no cent is lost or invented whatever the
    number of pieces; rounding each piece alone could be off by a cent per cut.
    """
    pieces = split_period(period, cuts)
    whole = _measure(period.start, period.end, basis, ZoneInfo(tz))
    _check_whole(period, whole, basis)
    weights = [_measure(p.start, p.end, basis, ZoneInfo(tz)) for p in pieces]
    parts = ratio_split(round_money(amount, currency, rounding), weights, quantum(currency))
    return list(zip(pieces, parts, strict=True))


def unused_credit(
    fee: Decimal,
    period: Period,
    at: datetime,
    currency: str,
    *,
    basis: ProrationBasis = ProrationBasis.DAYS,
    tz: str = "UTC",
    rounding: str = "half_up",
) -> Decimal:
    """The credit for the part of an in-advance ``fee`` not used after ``at``.

    Computed as the fee minus the used share (not as the unused share on its own), so
    the used and unused parts add back to the fee exactly: rounding both halves
    half-up would give a cent too much at a half-way point. ``at`` on the period start
    credits the whole fee (a cancellation before any use).
    """
    used = _share(period, period.start, _inside(period, at), basis, tz)
    whole_fee = round_money(fee, currency, rounding)
    return whole_fee - prorate(whole_fee, used, currency, rounding=rounding)


def mid_period_change(
    old_fee: Decimal,
    new_fee: Decimal,
    period: Period,
    at: datetime,
    currency: str,
    *,
    basis: ProrationBasis = ProrationBasis.DAYS,
    tz: str = "UTC",
    rounding: str = "half_up",
) -> PeriodChange:
    """Credit the unused ``old_fee`` and charge ``new_fee`` for the rest of ``period``.

    Covers an upgrade or downgrade of an in-advance plan and a quantity change
    (``old_fee`` = old seats x seat price, ``new_fee`` = new seats x seat price).
    """
    remaining = _share(period, _inside(period, at), period.end, basis, tz)
    credit = unused_credit(old_fee, period, at, currency, basis=basis, tz=tz, rounding=rounding)
    charge = prorate(new_fee, remaining, currency, rounding=rounding)
    return PeriodChange(credit, charge, remaining)


def _inside(period: Period, at: datetime) -> datetime:
    at = check_aware(at, "at")
    if at not in period:
        raise PricingError(f"change at {at.isoformat()} is not inside {period}")
    return at


def _share(period: Period, a: datetime, b: datetime, basis: ProrationBasis, tz: str) -> Share:
    zone = ZoneInfo(tz)
    whole = _measure(period.start, period.end, basis, zone)
    _check_whole(period, whole, basis)
    return Share(_measure(a, b, basis, zone), whole, basis)


def _measure(a: datetime, b: datetime, basis: ProrationBasis, zone: ZoneInfo) -> int:
    """Length of ``[a, b)``: local calendar days in ``zone``, or microseconds."""
    if basis is ProrationBasis.SECONDS:
        return (b - a) // _MICROSECOND
    return (b.astimezone(zone).date() - a.astimezone(zone).date()).days


def _check_whole(period: Period, whole: int, basis: ProrationBasis) -> None:
    if whole <= 0:
        raise PricingError(
            f"period {period} spans no whole {basis.value}; prorate it by seconds instead"
        )
