"""Expected charges: what a subscription owes for its periods due by an instant. Pure.

Principle 1 in code: for each billing period, the charges are a function of the plan
versions, the phases in force during the period and the usage in it, computed from
what is known now. ``billing.difference`` then subtracts what documents already carry.

How a period is cut:

- Billing periods tile time from the subscription's billing anchor, in the customer's
  time zone, one grid per plan interval (month, quarter, year); the anchor day falls
  back to a short month's last day (``domain.period.add_months``). A subscription that
  starts before its anchor gets a stub: the part of the period that ends at the anchor.
- Each phase's part of a period (its *segment*) is rated on its own, under the phase's
  plan version: fees are the full period's fee prorated by the segment's share of the
  period (whole days by default); usage is the meter's aggregate over the whole segment
  (never a late batch alone), with tiers, allowances and minimums applied per segment;
  the plan's minimum commitment is prorated by the same share and trued up per segment.
  Trial phases are not billed.
- A charge falls due at the period start (fees in advance) or at its end (fees in
  arrears, all usage, the commitment true-up). Only charges due by ``as_of`` appear.
- Coupons of a subscription discount each period's due charges (``apply_coupons``),
  never below zero.

The charge key names what a line charges for, the same way on every run:
``{subscription}|{plan version}|{price code}|{period start}|{period end}`` (the billing
period, not the segment), and ``{subscription}|coupon|{code}|{start}|{end}`` for a
discount. A backdated upgrade therefore leaves the old plan's key with a smaller
expected amount (the unused part is credited) and opens a key for the new plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from revbridge.catalog.model import Plan, Price, PriceModel, Timing
from revbridge.catalog.phases import Phase
from revbridge.domain.period import Interval, Period, add_months
from revbridge.domain.pricing import (
    ChargeLine,
    Coupon,
    LineKind,
    TierLine,
    apply_coupons,
    commitment_true_up,
    rate_price,
)
from revbridge.domain.proration import ProrationBasis, Share, prorate, share_of
from revbridge.errors import PricingError
from revbridge.ingest.usage import usage_correlation_id

__all__ = [
    "BillingTerms",
    "Charge",
    "PlanTerms",
    "UsageLookup",
    "charge_key",
    "expected_charges",
    "grid_index",
    "grid_period",
    "stamp",
]

ZERO = Decimal(0)
ONE = Decimal(1)

UsageLookup = Callable[[str, Period], "Decimal | None"]
"""``(meter code, segment) -> quantity``: the run binds it to a ``UsageSource``."""


@dataclass(frozen=True)
class PlanTerms:
    """A stored plan version as billing needs it: the plan and its prices' ids.

    It also remembers what does not depend on the customer: the rating of a fee for a
    seat count and a line's description for a proration share are the same for every
    subscription on the version, so a run over thousands of them computes each once.
    The memo lives as long as this object, i.e. one load of the catalog.
    """

    id: str
    version: int
    plan: Plan
    price_ids: Mapping[str, str] = field(default_factory=dict)
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.plan.code} v{self.version}"

    def fee_line(self, price: Price, units: int, currency: str, rounding: str) -> ChargeLine:
        """``rate_price`` of a fee for ``units`` (seats, or 1), rated once per version."""
        key = ("fee", price.code, units, currency, rounding)
        line = self._memo.get(key)
        if line is None:
            line = self._memo[key] = rate_price(price, Decimal(units), currency, self.label, rounding=rounding)
        return line  # type: ignore[no-any-return]

    def prorated(self, amount: Decimal, share: Share, currency: str, rounding: str) -> Decimal:
        """``prorate``, once per fee and share (the result is rounded to the currency, so
        equal amounts of another scale give the same figure)."""
        key = ("prorate", amount, share, currency, rounding)
        value = self._memo.get(key)
        if value is None:
            value = self._memo[key] = prorate(amount, share, currency, rounding=rounding)
        return value  # type: ignore[no-any-return]

    def describe(self, price_name: str, share: Share | None) -> str:
        key = ("describe", price_name, share)
        text = self._memo.get(key)
        if text is None:
            text = self._memo[key] = _describe(price_name, self, share)
        return text  # type: ignore[no-any-return]


@dataclass(frozen=True)
class BillingTerms:
    """One subscription with everything its charges depend on besides usage."""

    subscription_id: str
    customer_id: str
    currency: str
    billing_anchor: datetime
    started_at: datetime
    timezone: str
    phases: tuple[Phase, ...]
    coupons: tuple[Coupon, ...] = ()


@dataclass(frozen=True)
class Charge:
    """One line's worth of charge: expected now, already issued, or a difference.

    ``amount`` is rounded to the currency at the line boundary; ``unit_price`` may carry
    more decimals. ``period`` is the billing period, ``service`` the part of it the
    line covers. ``rating`` is the JSON-able record of how the amount was found (tier
    breakdown, proration share, the pricing engine's explanation).
    """

    key: str
    kind: str  # a ``LineKind`` value: charge, commitment, discount
    subscription_id: str
    plan_version_id: str | None
    price_id: str | None
    price_code: str
    meter: str | None
    period: Period
    service: Period
    due_at: datetime
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    description: str
    revenue_rule: str = "ratable"
    correlation_id: str = ""
    rating: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@lru_cache(maxsize=4096)
def stamp(moment: datetime) -> str:
    """A compact UTC stamp for keys and correlation ids: ``20260201T000000Z``.

    Cached: a run stamps the same few period bounds for every subscription.
    """
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def charge_key(subscription_id: str, plan_version_id: str, price_code: str, period: Period) -> str:
    return f"{subscription_id}|{plan_version_id}|{price_code}|{stamp(period.start)}|{stamp(period.end)}"


def _local_anchor(anchor: datetime, tz: str) -> tuple[datetime, ZoneInfo]:
    zone = ZoneInfo(tz)
    return anchor.astimezone(zone).replace(tzinfo=None), zone


@lru_cache(maxsize=65_536)
def grid_period(anchor: datetime, interval: Interval, tz: str, n: int) -> Period:
    """The ``n``-th billing period from ``anchor`` (negative ``n``: before the anchor).

    Cached: most subscriptions share a handful of anchors, and a run asks for the same
    periods for each of them.
    """
    local, zone = _local_anchor(anchor, tz)
    start = add_months(local, interval.months * n, local.day).replace(tzinfo=zone)
    end = add_months(local, interval.months * (n + 1), local.day).replace(tzinfo=zone)
    return Period(start.astimezone(UTC), end.astimezone(UTC))


@lru_cache(maxsize=65_536)
def grid_index(anchor: datetime, interval: Interval, tz: str, moment: datetime) -> int:
    """The ``n`` whose ``grid_period`` holds ``moment`` (moments before the anchor too)."""
    local, zone = _local_anchor(anchor, tz)
    there = moment.astimezone(zone)
    guess = ((there.year - local.year) * 12 + there.month - local.month) // interval.months
    for n in (guess - 1, guess, guess + 1):
        if moment in grid_period(anchor, interval, tz, n):
            return n
    raise AssertionError("unreachable: no grid period holds the moment")  # pragma: no cover


def expected_charges(
    terms: BillingTerms,
    plans: Mapping[str, PlanTerms],
    usage_of: UsageLookup,
    as_of: datetime,
    *,
    rounding: str = "half_up",
    basis: ProrationBasis = ProrationBasis.DAYS,
) -> list[Charge]:
    """Every charge of ``terms`` due by ``as_of``, one per phase segment and price.

    Raises ``PricingError`` when a phase's plan has no price in the subscription's
    currency, or when a price cannot be rated.
    """
    out: list[Charge] = []
    groups: dict[Period, tuple[int, list[Charge]]] = {}
    for phase in terms.phases:
        if phase.trial:
            continue
        stored = plans[phase.plan_version_id]
        if stored.plan.currency != terms.currency:
            raise PricingError(
                f"subscription {terms.subscription_id}: plan {stored.label} has no price in "
                f"{terms.currency} (it is priced in {stored.plan.currency})"
            )
        first = grid_index(terms.billing_anchor, stored.plan.interval, terms.timezone, terms.started_at)
        for n, period, segment in _segments(terms, stored.plan.interval, phase, as_of):
            rated = _segment_charges(terms, stored, phase, period, segment, usage_of, as_of, rounding, basis)
            out.extend(rated)
            groups.setdefault(period, (n - first + 1, []))[1].extend(rated)
    for period, (number, charges) in sorted(groups.items()):
        out.extend(_discounts(terms, period, number, charges, rounding))
    return out


def _segments(
    terms: BillingTerms, interval: Interval, phase: Phase, as_of: datetime
) -> list[tuple[int, Period, Period]]:
    """``(n, period, segment)`` for each period overlapping ``phase`` that starts by ``as_of``."""
    out: list[tuple[int, Period, Period]] = []
    n = grid_index(terms.billing_anchor, interval, terms.timezone, phase.starts_at)
    while True:
        period = grid_period(terms.billing_anchor, interval, terms.timezone, n)
        if period.start > as_of or (phase.ends_at is not None and period.start >= phase.ends_at):
            return out
        end = period.end if phase.ends_at is None else min(period.end, phase.ends_at)
        out.append((n, period, Period(max(period.start, phase.starts_at), end)))
        n += 1


def _segment_charges(
    terms: BillingTerms,
    stored: PlanTerms,
    phase: Phase,
    period: Period,
    segment: Period,
    usage_of: UsageLookup,
    as_of: datetime,
    rounding: str,
    basis: ProrationBasis,
) -> list[Charge]:
    share = _share_of(period, segment, basis, terms.timezone)
    out: list[Charge] = []
    usage_lines: list[ChargeLine] = []
    phase_corr = f"phase:{terms.subscription_id}:{stamp(phase.starts_at)}:{phase.plan_version_id}"
    for price in stored.plan.prices:
        if price.is_usage:
            if period.end > as_of:
                continue
            assert price.meter is not None
            quantity = usage_of(price.meter, segment)
            line = rate_price(price, quantity or ZERO, terms.currency, stored.label, rounding=rounding)
            usage_lines.append(line)
            corr = usage_correlation_id(terms.customer_id, price.meter, segment)
            out.append(_charge(terms, stored, price, period, segment, period.end, line, line.amount, None, corr))
            continue
        due = period.start if price.timing is Timing.IN_ADVANCE else period.end
        if due > as_of:
            continue
        line = stored.fee_line(price, phase.quantity if price.is_seat else 1, terms.currency, rounding)
        amount = stored.prorated(line.amount, share, terms.currency, rounding)
        out.append(_charge(terms, stored, price, period, segment, due, line, amount, share, phase_corr))
    commitment = stored.plan.minimum_commitment
    if commitment is not None and period.end <= as_of:
        target = prorate(commitment, share, terms.currency, rounding=rounding)
        extra = commitment_true_up(usage_lines, target, terms.currency, stored.label, rounding=rounding)
        if extra is not None:
            out.append(_commitment(terms, stored, period, segment, extra, share, phase_corr))
    return out


@lru_cache(maxsize=4096)
def _share_of(period: Period, segment: Period, basis: ProrationBasis, tz: str) -> Share:
    """``share_of``, cached: subscriptions on the same grid share their segments."""
    return share_of(period, segment, basis=basis, tz=tz)


def _tiers(tiers: Sequence[TierLine]) -> list[dict[str, Any]]:
    return [
        {
            "tier": t.index + 1,
            "from": format(t.start, "f"),
            "up_to": None if t.up_to is None else format(t.up_to, "f"),
            "units": format(t.units, "f"),
            "unit_price": format(t.unit_price, "f"),
            "flat_fee": format(t.flat_fee, "f"),
            "amount": format(t.amount, "f"),
        }
        for t in tiers
    ]


def _rating(line: ChargeLine, share: Share | None) -> dict[str, Any]:
    rating: dict[str, Any] = {"explanation": line.explanation, "tiers": _tiers(line.tiers)}
    if share is not None and not share.is_whole:
        rating["share"] = str(share)
        rating["full_period_amount"] = format(line.amount, "f")
    return rating


def _describe(price_name: str, stored: PlanTerms, share: Share | None) -> str:
    text = f"{price_name} ({stored.plan.name or stored.plan.code}, {stored.label})"
    if share is not None and not share.is_whole:
        text += f", {share} of the period"
    return text


def _charge(
    terms: BillingTerms,
    stored: PlanTerms,
    price: Price,
    period: Period,
    segment: Period,
    due: datetime,
    line: ChargeLine,
    amount: Decimal,
    share: Share | None,
    correlation_id: str,
) -> Charge:
    return Charge(
        key=charge_key(terms.subscription_id, stored.id, price.code, period),
        kind=LineKind.CHARGE.value,
        subscription_id=terms.subscription_id,
        plan_version_id=stored.id,
        price_id=stored.price_ids.get(price.code),
        price_code=price.code,
        meter=price.meter,
        period=period,
        service=segment,
        due_at=due,
        quantity=line.quantity,
        unit_price=line.unit_price if price.model is not PriceModel.FLAT else line.amount,
        amount=amount,
        description=stored.describe(price.name or price.code, share),
        revenue_rule=price.revenue_rule,
        correlation_id=correlation_id,
        rating=_rating(line, share),
    )


def _commitment(
    terms: BillingTerms,
    stored: PlanTerms,
    period: Period,
    segment: Period,
    line: ChargeLine,
    share: Share,
    correlation_id: str,
) -> Charge:
    rating = {"explanation": line.explanation, "tiers": []}
    if not share.is_whole:
        rating["share"] = str(share)
    return Charge(
        key=charge_key(terms.subscription_id, stored.id, line.code, period),
        kind=LineKind.COMMITMENT.value,
        subscription_id=terms.subscription_id,
        plan_version_id=stored.id,
        price_id=None,
        price_code=line.code,
        meter=None,
        period=period,
        service=segment,
        due_at=period.end,
        quantity=ONE,
        unit_price=line.amount,
        amount=line.amount,
        description=_describe("Minimum commitment true-up", stored, share),
        revenue_rule="ratable",
        correlation_id=correlation_id,
        rating=rating,
    )


def _discounts(
    terms: BillingTerms, period: Period, number: int, charges: Sequence[Charge], rounding: str
) -> list[Charge]:
    """One discount line per coupon active in the period's ``number``-th period."""
    if not terms.coupons or not charges:
        return []
    subtotal = sum((c.amount for c in charges), ZERO)
    base = ChargeLine(
        code="subtotal",
        kind=LineKind.CHARGE,
        currency=terms.currency,
        version="",
        quantity=ONE,
        billable_quantity=ONE,
        unit_price=subtotal,
        amount=subtotal,
        unrounded_amount=subtotal,
        explanation="",
    )
    lines = apply_coupons([base], terms.coupons, number, terms.currency, "", rounding=rounding)[1:]
    due = min(c.due_at for c in charges)
    return [
        Charge(
            key=f"{terms.subscription_id}|coupon|{line.code}|{stamp(period.start)}|{stamp(period.end)}",
            kind=LineKind.DISCOUNT.value,
            subscription_id=terms.subscription_id,
            plan_version_id=None,
            price_id=None,
            price_code=line.code,
            meter=None,
            period=period,
            service=period,
            due_at=due,
            quantity=ONE,
            unit_price=line.amount,
            amount=line.amount,
            description=f"Coupon {line.code}",
            revenue_rule="ratable",
            correlation_id=f"coupon:{terms.subscription_id}:{line.code}",
            rating={"explanation": line.explanation, "tiers": []},
        )
        for line in lines
    ]
