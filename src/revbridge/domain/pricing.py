"""The pricing engine: a catalog ``Price`` and a period's quantity in, a priced line out.

Why pure: a bill is a function of (catalog version, phases, usage), so the same inputs
must give the same lines on every run, on every machine, in previews and in re-ratings
after a late event. Nothing here reads a clock, a store or a setting; the caller passes
the quantity, the currency and the label of the price version it rated against.

Why lines explain themselves: finance and customers ask "why is this 30.00?". Each
``ChargeLine`` keeps what went in (quantity, free units, billable units), the tier
breakdown, the unrounded amount and the amount rounded at the line boundary (half-up to
the currency's minor unit, as Odoo does), plus a sentence saying how it was computed.

Models (``PriceModel``):

- flat: ``amount`` per period (the quantity is 1; 0 suppresses it, N bills N copies).
- per_unit: billable units x ``amount``.
- graduated: each tier prices the units that fall in it; a tier's ``flat_fee`` is added
  when any unit falls in that tier.
- volume: the tier the billable quantity reaches prices every unit, plus its flat fee.
- package: ``amount`` per started package of ``package_size`` units (rounded up).
- percentage: ``percent`` / 100 of a metered amount (the quantity is that amount).

Tiers are ``(start, up_to]``: a tier holds the units above the previous tier's
``up_to`` up to and including its own; only the last tier may be unbounded.
``included_quantity`` free units are deducted before any model prices the rest (never
below zero), and ``minimum_amount`` lifts the line to a floor (a true-up inside the
line). A plan's ``minimum_commitment`` is a separate true-up line over the period's usage
charges (``commitment_true_up``); coupons become discount lines (``apply_coupons``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import Enum

from revbridge.catalog.model import Plan, Price, PriceModel, Tier
from revbridge.domain.money import D, check_currency, round_money
from revbridge.errors import PricingError, ValidationError

__all__ = [
    "ChargeLine",
    "Coupon",
    "CouponDuration",
    "LineKind",
    "TierLine",
    "apply_coupons",
    "commitment_true_up",
    "rate_plan",
    "rate_price",
]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
# A graduated line's average unit price is informative only (the tiers are the record);
# it is cut at this many places so that 100 / 3 does not print 28 digits.
AVERAGE_PRICE_QUANTUM = Decimal("1E-10")


class LineKind(str, Enum):
    """What produced a line: a price, the plan's minimum commitment, or a coupon."""

    CHARGE = "charge"
    COMMITMENT = "commitment"
    DISCOUNT = "discount"


@dataclass(frozen=True)
class TierLine:
    """The part of a charge that one tier priced: ``units`` in ``(start, up_to]``."""

    index: int  # position in ``Price.tiers`` (0-based, as in ``tiers[1]`` error paths)
    start: Decimal
    up_to: Decimal | None
    units: Decimal
    unit_price: Decimal
    flat_fee: Decimal
    amount: Decimal  # units x unit_price + flat_fee, unrounded

    def describe(self) -> str:
        upper = "inf" if self.up_to is None else _num(self.up_to)
        fee = f" + {_num(self.flat_fee)} flat" if self.flat_fee else ""
        return (
            f"tier {self.index + 1} ({_num(self.start)}, {upper}]: "
            f"{_num(self.units)} x {_num(self.unit_price)}{fee} = {_num(self.amount)}"
        )


@dataclass(frozen=True)
class ChargeLine:
    """One priced line of a bill, carrying everything needed to explain it.

    ``amount`` is rounded at the line boundary; ``unrounded_amount`` is what the model
    computed before that (including a minimum's true-up). ``unit_price`` is the price of
    one billing unit: a unit, a package (package model), a rate (percentage: percent /
    100), or for graduated tiers the average price cut at 10 places (the tiers are the
    record). It may carry more decimals than the currency.
    """

    code: str
    kind: LineKind
    currency: str
    version: str
    quantity: Decimal
    billable_quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    unrounded_amount: Decimal
    explanation: str
    tiers: tuple[TierLine, ...] = ()
    model: PriceModel | None = None
    meter: str | None = None
    minimum: Decimal | None = None
    true_up: Decimal = ZERO  # the rounded lift to ``minimum``, included in ``amount``

    @property
    def is_usage(self) -> bool:
        """A metered charge: what a plan's minimum commitment is measured against."""
        return self.kind is LineKind.CHARGE and self.meter is not None


# --- rating one price ----------------------------------------------------------------


@dataclass(frozen=True)
class _Priced:
    """What a model computed for the billable units, before minimum and rounding."""

    unit_price: Decimal
    amount: Decimal
    how: str
    tiers: tuple[TierLine, ...] = ()


def rate_price(
    price: Price,
    quantity: Decimal | int,
    currency: str,
    version: str,
    *,
    rounding: str = "half_up",
) -> ChargeLine:
    """Price ``quantity`` (usage, seats, or 1 for a flat fee) with ``price``.

    Raises ``PricingError`` for anything that cannot be rated: a negative or non-decimal
    quantity, an unknown currency, a price missing what its model needs, tiers that do not
    ascend, or a quantity beyond the last bounded tier.
    """
    currency = _currency(currency)
    qty = _quantity(quantity, price.code)
    _check_price(price)
    billable = max(ZERO, qty - price.included_quantity)
    priced = _RATERS[price.model](price, billable)
    amount, unrounded, true_up = _with_minimum(
        priced.amount, price.minimum_amount, currency, rounding
    )
    return ChargeLine(
        code=price.code,
        kind=LineKind.CHARGE,
        currency=currency,
        version=version,
        quantity=qty,
        billable_quantity=billable,
        unit_price=priced.unit_price,
        amount=amount,
        unrounded_amount=unrounded,
        explanation=_explain(price, qty, billable, priced, amount, true_up, currency, version),
        tiers=priced.tiers,
        model=price.model,
        meter=price.meter,
        minimum=price.minimum_amount,
        true_up=true_up,
    )


def _with_minimum(
    raw: Decimal, minimum: Decimal | None, currency: str, rounding: str
) -> tuple[Decimal, Decimal, Decimal]:
    """(rounded amount, unrounded amount, rounded true-up) after lifting to ``minimum``.

    Rounding is monotone, so rounding the lifted amount equals lifting the rounded one:
    the true-up is exactly the gap between the two rounded figures.
    """
    unrounded = raw if minimum is None else max(raw, minimum)
    amount = round_money(unrounded, currency, rounding)
    return amount, unrounded, amount - round_money(raw, currency, rounding)


def _rate_units(price: Price, billable: Decimal) -> _Priced:
    """flat and per_unit: billable units x ``amount``."""
    unit = _required(price.amount, price, "amount")
    return _Priced(unit, billable * unit, f"{_num(billable)} x {_num(unit)}")


def _rate_package(price: Price, billable: Decimal) -> _Priced:
    """package: ``amount`` per started package; a partial package costs a whole one."""
    unit = _required(price.amount, price, "amount")
    size = _required(price.package_size, price, "package_size")
    packages = (billable / size).to_integral_value(rounding=ROUND_CEILING)
    how = f"{_num(packages)} started package(s) of {_num(size)} units x {_num(unit)}"
    return _Priced(unit, packages * unit, how)


def _rate_percentage(price: Price, billable: Decimal) -> _Priced:
    """percentage: a share of a metered amount (e.g. 2.9 % of payment volume)."""
    percent = _required(price.percent, price, "percent")
    rate = percent / HUNDRED
    return _Priced(rate, billable * rate, f"{_num(percent)}% of {_num(billable)}")


def _rate_graduated(price: Price, billable: Decimal) -> _Priced:
    """graduated: every tier prices only the units that fall inside it."""
    _check_reach(price, billable)
    parts = tuple(
        _tier_line(i, start, tier, units)
        for i, (start, tier) in enumerate(_bounds(price.tiers))
        if (units := _units_in(billable, start, tier.up_to)) > 0
    )
    total = sum((p.amount for p in parts), ZERO)
    average = (total / billable).quantize(AVERAGE_PRICE_QUANTUM) if billable else ZERO
    return _Priced(
        average, total, "; ".join(p.describe() for p in parts) or "no billable units", parts
    )


def _rate_volume(price: Price, billable: Decimal) -> _Priced:
    """volume: the tier that the whole quantity reaches prices every unit."""
    _check_reach(price, billable)
    if billable == 0:
        return _Priced(price.tiers[0].unit_price, ZERO, "no billable units")
    index, start, tier = next(
        (i, start, tier)
        for i, (start, tier) in enumerate(_bounds(price.tiers))
        if tier.up_to is None or billable <= tier.up_to
    )
    part = _tier_line(index, start, tier, billable)
    return _Priced(tier.unit_price, part.amount, f"all units at {part.describe()}", (part,))


_RATERS: dict[PriceModel, Callable[[Price, Decimal], _Priced]] = {
    PriceModel.FLAT: _rate_units,
    PriceModel.PER_UNIT: _rate_units,
    PriceModel.GRADUATED: _rate_graduated,
    PriceModel.VOLUME: _rate_volume,
    PriceModel.PACKAGE: _rate_package,
    PriceModel.PERCENTAGE: _rate_percentage,
}


def _bounds(tiers: Sequence[Tier]) -> list[tuple[Decimal, Tier]]:
    """Each tier with its exclusive lower bound (the previous tier's ``up_to``, or 0)."""
    starts = [ZERO] + [t.up_to if t.up_to is not None else ZERO for t in tiers[:-1]]
    return list(zip(starts, tiers, strict=True))


def _tier_line(index: int, start: Decimal, tier: Tier, units: Decimal) -> TierLine:
    """What ``units`` cost in ``tier``: its unit price each, plus its flat fee."""
    amount = units * tier.unit_price + tier.flat_fee
    return TierLine(index, start, tier.up_to, units, tier.unit_price, tier.flat_fee, amount)


def _units_in(billable: Decimal, start: Decimal, up_to: Decimal | None) -> Decimal:
    top = billable if up_to is None else min(billable, up_to)
    return max(ZERO, top - start)


# --- validation ----------------------------------------------------------------------


def _currency(currency: str) -> str:
    try:
        return check_currency(currency)
    except ValidationError as exc:
        raise PricingError(f"currency: not an ISO 4217 code, got {currency!r}") from exc


def _quantity(quantity: object, code: str) -> Decimal:
    """A finite, non-negative Decimal quantity; floats are refused, never converted."""
    if not isinstance(quantity, (Decimal, int, str)) or isinstance(quantity, bool):
        raise PricingError(f"{code}: quantity must be a Decimal, got {quantity!r}")
    try:
        qty = D(quantity)
    except ValueError as exc:
        raise PricingError(f"{code}: quantity is not a finite number, got {quantity!r}") from exc
    if qty < 0:
        raise PricingError(f"{code}: quantity must not be negative, got {_num(qty)}")
    return qty


def _required(value: Decimal | None, price: Price, name: str) -> Decimal:
    if value is None:
        raise PricingError(f"{price.code}: a {price.model.value} price needs {name}")
    return value


def _check_price(price: Price) -> None:
    """Refuse a price that would rate to nonsense (negative rates, bad tiers, ...)."""
    _check_not_negative(price.code, "included_quantity", price.included_quantity)
    _check_not_negative(price.code, "minimum_amount", price.minimum_amount)
    _check_not_negative(price.code, "amount", price.amount)
    _check_not_negative(price.code, "percent", price.percent)
    if (
        price.model is PriceModel.PACKAGE
        and price.package_size is not None
        and price.package_size <= 0
    ):
        raise PricingError(
            f"{price.code}.package_size: must be positive, got {_num(price.package_size)}"
        )
    if price.model in (PriceModel.GRADUATED, PriceModel.VOLUME):
        _check_tiers(price)


def _check_not_negative(code: str, name: str, value: Decimal | None) -> None:
    if value is not None and value < 0:
        raise PricingError(f"{code}.{name}: must not be negative, got {_num(value)}")


def _check_tiers(price: Price) -> None:
    if not price.tiers:
        raise PricingError(f"{price.code}: a {price.model.value} price needs tiers")
    previous = ZERO
    for i, tier in enumerate(price.tiers):
        where = f"{price.code}.tiers[{i}]"
        _check_not_negative(where, "unit_price", tier.unit_price)
        _check_not_negative(where, "flat_fee", tier.flat_fee)
        if tier.up_to is None:
            if i != len(price.tiers) - 1:
                raise PricingError(f"{where}.up_to: only the last tier may be unbounded")
            continue
        if tier.up_to <= previous:
            raise PricingError(
                f"{where}.up_to: tiers must ascend, got {_num(tier.up_to)} after {_num(previous)}"
            )
        previous = tier.up_to


def _check_reach(price: Price, billable: Decimal) -> None:
    last = price.tiers[-1].up_to
    if last is not None and billable > last:
        raise PricingError(
            f"{price.code}: quantity {_num(billable)} is beyond the last tier (up to {_num(last)})"
        )


# --- explanation ---------------------------------------------------------------------


def _num(value: Decimal) -> str:
    """A decimal as people write it: no exponent, no trailing zeros (``30``, ``0.0015``)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _explain(
    price: Price,
    qty: Decimal,
    billable: Decimal,
    priced: _Priced,
    amount: Decimal,
    true_up: Decimal,
    currency: str,
    version: str,
) -> str:
    head = f"{price.code} ({price.model.value}, price version {version}): quantity {_num(qty)}"
    if price.included_quantity:
        head += f", {_num(price.included_quantity)} included, {_num(billable)} billable"
    text = f"{head}. {priced.how}. Subtotal {_num(priced.amount)}."
    if true_up:
        minimum = _required(price.minimum_amount, price, "minimum_amount")
        text += f" Minimum {_num(minimum)} applies: true-up {true_up}."
    return f"{text} Amount {amount} {currency}."


# --- a whole plan and its minimum commitment -----------------------------------------


def rate_plan(
    plan: Plan,
    quantities: Mapping[str, Decimal],
    version: str,
    *,
    rounding: str = "half_up",
) -> list[ChargeLine]:
    """Rate every price of ``plan`` for one period, then add the commitment true-up.

    ``quantities`` maps price codes to the period's quantity (usage or seats); a flat
    price missing from it is rated once. Proration is the caller's: it passes the
    shares or rates the sub-periods.
    """
    lines = [
        rate_price(
            price, _plan_quantity(price, quantities), plan.currency, version, rounding=rounding
        )
        for price in plan.prices
    ]
    if plan.minimum_commitment is not None:
        extra = commitment_true_up(
            lines, plan.minimum_commitment, plan.currency, version, rounding=rounding
        )
        lines.extend([extra] if extra is not None else [])
    return lines


def _plan_quantity(price: Price, quantities: Mapping[str, Decimal]) -> Decimal:
    if price.code in quantities:
        return quantities[price.code]
    if price.model is PriceModel.FLAT:
        return ONE
    raise PricingError(f"{price.code}: no quantity given for this {price.model.value} price")


def commitment_true_up(
    lines: Sequence[ChargeLine],
    commitment: Decimal,
    currency: str,
    version: str,
    *,
    code: str = "minimum_commitment",
    rounding: str = "half_up",
) -> ChargeLine | None:
    """The line that lifts the period's usage charges to ``commitment``, or ``None``.

    Only metered charge lines count (seats and flat fees are not usage); their rounded
    amounts are summed, as they appear on the invoice. A prorated period passes a
    prorated ``commitment``.
    """
    currency = _currency(currency)
    _check_not_negative(code, "commitment", commitment)
    _check_same_currency(lines, currency)
    usage = sum((line.amount for line in lines if line.is_usage), ZERO)
    target = round_money(commitment, currency, rounding)
    gap = target - usage
    if gap <= 0:
        return None
    explanation = (
        f"{code} (price version {version}): usage charges {usage} {currency} fall short of "
        f"the minimum commitment {target} {currency}; true-up {gap} {currency}"
    )
    return ChargeLine(
        code=code,
        kind=LineKind.COMMITMENT,
        currency=currency,
        version=version,
        quantity=ONE,
        billable_quantity=ONE,
        unit_price=gap,
        amount=gap,
        unrounded_amount=gap,
        explanation=explanation,
        minimum=commitment,
        true_up=gap,
    )


def _check_same_currency(lines: Sequence[ChargeLine], currency: str) -> None:
    for line in lines:
        if line.currency != currency:
            raise PricingError(f"{line.code}: line is in {line.currency}, expected {currency}")


# --- coupons -------------------------------------------------------------------------


class CouponDuration(str, Enum):
    """How many billing periods a coupon discounts, counted from its first (period 1)."""

    ONCE = "once"
    REPEATING = "repeating"  # the first ``periods`` periods
    FOREVER = "forever"


@dataclass(frozen=True)
class Coupon:
    """A discount: a fixed amount off (in ``currency``) or a percentage off a subtotal."""

    code: str
    duration: CouponDuration
    amount_off: Decimal | None = None
    percent_off: Decimal | None = None
    currency: str | None = None  # required with ``amount_off``
    periods: int | None = None  # required with REPEATING

    def __post_init__(self) -> None:
        if (self.amount_off is None) == (self.percent_off is None):
            raise PricingError(
                f"{self.code}: a coupon needs exactly one of amount_off, percent_off"
            )
        if self.amount_off is not None and (self.amount_off <= 0 or self.currency is None):
            raise PricingError(f"{self.code}.amount_off: must be positive and have a currency")
        if self.percent_off is not None and not 0 < self.percent_off <= HUNDRED:
            raise PricingError(
                f"{self.code}.percent_off: must be in (0, 100], got {self.percent_off}"
            )
        repeating = self.duration is CouponDuration.REPEATING
        if repeating != (self.periods is not None) or (
            self.periods is not None and self.periods < 1
        ):
            raise PricingError(f"{self.code}.periods: a positive count for repeating coupons only")

    def applies_in(self, period_number: int) -> bool:
        """Whether the coupon discounts its ``period_number``-th period (1 = the first)."""
        if period_number < 1:
            raise PricingError(f"{self.code}: period numbers start at 1, got {period_number}")
        if self.duration is CouponDuration.ONCE:
            return period_number == 1
        if self.duration is CouponDuration.REPEATING:
            return period_number <= (self.periods or 0)
        return True


def apply_coupons(
    lines: Sequence[ChargeLine],
    coupons: Sequence[Coupon],
    period_number: int,
    currency: str,
    version: str,
    *,
    rounding: str = "half_up",
) -> list[ChargeLine]:
    """``lines`` followed by one discount line per coupon active in ``period_number``.

    Coupons apply in order, each to what the previous ones left; a discount never takes
    the subtotal below zero (a 50.00 coupon on a 30.00 invoice discounts 30.00), and a
    subtotal that is already zero or negative is not discounted at all.
    """
    currency = _currency(currency)
    _check_same_currency(lines, currency)
    remaining = max(ZERO, sum((line.amount for line in lines), ZERO))
    out = list(lines)
    for coupon in coupons:
        if not coupon.applies_in(period_number) or remaining == 0:
            continue
        line = _discount_line(coupon, remaining, currency, version, rounding)
        remaining += line.amount
        out.append(line)
    return out


def _discount_line(
    coupon: Coupon, remaining: Decimal, currency: str, version: str, rounding: str
) -> ChargeLine:
    """The negative line for ``coupon`` against a subtotal of ``remaining`` (> 0)."""
    if coupon.percent_off is not None:
        wanted = remaining * coupon.percent_off / HUNDRED
        how = f"{_num(coupon.percent_off)}% off {remaining}"
    else:
        wanted = _required_off(coupon, currency)
        how = f"{_num(wanted)} off"
    off = min(round_money(wanted, currency, rounding), remaining)
    capped = " (capped at the subtotal)" if off < round_money(wanted, currency, rounding) else ""
    explanation = (
        f"coupon {coupon.code} ({coupon.duration.value}, price version {version}): "
        f"{how}{capped} -> -{off} {currency}"
    )
    return ChargeLine(
        code=coupon.code,
        kind=LineKind.DISCOUNT,
        currency=currency,
        version=version,
        quantity=ONE,
        billable_quantity=ONE,
        unit_price=-off,
        amount=-off,
        unrounded_amount=-min(wanted, remaining),
        explanation=explanation,
    )


def _required_off(coupon: Coupon, currency: str) -> Decimal:
    if coupon.currency != currency:
        raise PricingError(f"{coupon.code}: coupon is in {coupon.currency}, invoice in {currency}")
    assert coupon.amount_off is not None  # checked in Coupon.__post_init__
    return coupon.amount_off
