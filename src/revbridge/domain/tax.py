"""Taxes per legal entity: which rate applies to a customer, and how tax is rounded.

Why built like this: each legal entity sells under its own tax rules (its rates by
customer country and region, whether its prices include tax, whether cross-border
business sales are reverse-charged) and Odoo recomputes every invoice's tax itself, so
revbridge must round exactly as Odoo does or reconciliation control 3 breaks. Odoo's two
methods (``res.company.tax_calculation_rounding_method``):

- ``round_per_line``: round each line's tax to the minor unit, then sum.
- ``round_globally``: sum the unrounded taxes of each rate, then round once.

Odoo 17 on 3 lines of 1.03 at 20 %: per line 3 x 0.21 = 0.63, globally
round(0.618) = 0.62. In global mode the rounded total of each rate is handed back to
its lines by largest remainder, so every line still balances (net + tax == gross) and
the lines' taxes add up to the total.

Tax-inclusive prices: the line amount is the gross; tax = gross x rate / (100 + rate)
and net = gross - tax, so net + tax == gross exactly.

``TaxEngine`` is the plug-in point for an external calculator; ``BuiltinTaxEngine``
computes from a ``TaxProfile``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import Enum
from typing import Protocol

from revbridge.domain.money import check_currency, quantum, round_money
from revbridge.errors import PricingError, ValidationError

__all__ = [
    "EU_COUNTRIES",
    "BuiltinTaxEngine",
    "LineTax",
    "RoundingMethod",
    "TaxCustomer",
    "TaxEngine",
    "TaxProfile",
    "TaxRate",
    "TaxResult",
    "TaxTreatment",
    "compute_tax",
]

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# EU member states (VAT), the usual reverse-charge zone for cross-border B2B services.
EU_COUNTRIES = frozenset(
    (
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    )
)


class RoundingMethod(str, Enum):
    """Odoo's ``tax_calculation_rounding_method`` values, spelled as Odoo spells them."""

    PER_LINE = "round_per_line"
    GLOBALLY = "round_globally"


class TaxTreatment(str, Enum):
    """Why a line carries the tax it does."""

    TAXED = "taxed"
    EXEMPT = "exempt"
    REVERSE_CHARGE = "reverse_charge"


@dataclass(frozen=True)
class TaxRate:
    """``rate`` percent for customers in ``country`` (and ``region``, if given)."""

    country: str
    rate: Decimal
    region: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        where = self.country if self.region is None else f"{self.country}-{self.region}"
        return self.name or f"{format(self.rate.normalize(), 'f')}% {where}"


@dataclass(frozen=True)
class TaxCustomer:
    """What tax needs to know about a customer: where it is, what it is."""

    country: str
    region: str | None = None
    tax_id: str | None = None  # a VAT or similar business registration number
    exempt: bool = False  # holds an exemption (charity, reseller certificate, ...)


@dataclass(frozen=True)
class TaxProfile:
    """A legal entity's tax rules.

    ``reverse_charge_zone``: countries between which a sale to a business with a tax id
    is reverse-charged (the customer accounts for the tax), e.g. ``EU_COUNTRIES``; it
    applies only across borders and only when both countries are in the zone.
    """

    country: str
    currency: str
    rates: tuple[TaxRate, ...]
    prices_include_tax: bool = False
    rounding_method: RoundingMethod = RoundingMethod.PER_LINE
    reverse_charge_zone: frozenset[str] = frozenset()
    rounding: str = "half_up"

    def __post_init__(self) -> None:
        try:
            check_currency(self.currency)
        except ValidationError as exc:
            raise PricingError(
                f"tax profile currency: not an ISO 4217 code, got {self.currency!r}"
            ) from exc
        for rate in self.rates:
            if rate.rate < 0:
                raise PricingError(f"tax rate {rate.label}: must not be negative")

    def treatment(self, customer: TaxCustomer) -> TaxTreatment:
        if customer.exempt:
            return TaxTreatment.EXEMPT
        if self._reverse_charged(customer):
            return TaxTreatment.REVERSE_CHARGE
        return TaxTreatment.TAXED

    def _reverse_charged(self, customer: TaxCustomer) -> bool:
        return (
            bool(customer.tax_id)
            and customer.country != self.country
            and {customer.country, self.country} <= self.reverse_charge_zone
        )

    def rate_for(self, customer: TaxCustomer) -> TaxRate:
        """The region's rate if one is set, else the country's; none is an error."""
        by_region = [
            r for r in self.rates if r.country == customer.country and r.region == customer.region
        ]
        by_country = [r for r in self.rates if r.country == customer.country and r.region is None]
        found = by_region if customer.region is not None and by_region else by_country
        if not found:
            where = (
                customer.country
                if customer.region is None
                else f"{customer.country}-{customer.region}"
            )
            raise PricingError(f"no tax rate for customer country {where}")
        return found[0]


@dataclass(frozen=True)
class LineTax:
    """One line after tax: ``net + tax == gross`` always."""

    net: Decimal
    tax: Decimal
    gross: Decimal
    rate: Decimal  # percent; 0 when exempt or reverse-charged
    treatment: TaxTreatment
    unrounded_tax: Decimal


@dataclass(frozen=True)
class TaxResult:
    """The tax of a set of lines, per line and in total, with the rule that applied."""

    lines: tuple[LineTax, ...]
    currency: str
    rounding_method: RoundingMethod
    treatment: TaxTreatment
    note: str  # the wording an invoice shows, e.g. the reverse-charge mention

    @property
    def net_total(self) -> Decimal:
        return sum((line.net for line in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def gross_total(self) -> Decimal:
        return sum((line.gross for line in self.lines), ZERO)


class TaxEngine(Protocol):
    """Computes the tax of an invoice's line amounts for a customer under a profile.

    ``amounts`` are line amounts already rounded to the currency (net when the profile's
    prices exclude tax, gross when they include it); discounts are negative lines.
    """

    def compute(
        self, amounts: Sequence[Decimal], customer: TaxCustomer, profile: TaxProfile
    ) -> TaxResult: ...


REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC)"
)


class BuiltinTaxEngine:
    """The ``TaxEngine`` that applies a ``TaxProfile``'s own rates and rounding."""

    def compute(
        self, amounts: Sequence[Decimal], customer: TaxCustomer, profile: TaxProfile
    ) -> TaxResult:
        treatment = profile.treatment(customer)
        rate = profile.rate_for(customer).rate if treatment is TaxTreatment.TAXED else ZERO
        unrounded = [_unrounded_tax(amount, rate, profile.prices_include_tax) for amount in amounts]
        taxes = _round_taxes(unrounded, profile)
        lines = tuple(
            _line(amount, tax, raw, rate, treatment, profile.prices_include_tax)
            for amount, tax, raw in zip(amounts, taxes, unrounded, strict=True)
        )
        note = {TaxTreatment.TAXED: "", TaxTreatment.EXEMPT: "Exempt from tax"}.get(
            treatment, REVERSE_CHARGE_NOTE
        )
        return TaxResult(lines, profile.currency, profile.rounding_method, treatment, note)


def compute_tax(
    amounts: Sequence[Decimal], customer: TaxCustomer, profile: TaxProfile
) -> TaxResult:
    """The built-in engine in one call."""
    return BuiltinTaxEngine().compute(amounts, customer, profile)


def _unrounded_tax(amount: Decimal, rate: Decimal, included: bool) -> Decimal:
    """Tax on a net amount, or the tax contained in a gross amount."""
    return amount * rate / (HUNDRED + rate) if included else amount * rate / HUNDRED


def _round_taxes(unrounded: Sequence[Decimal], profile: TaxProfile) -> list[Decimal]:
    """Per line: each rounded. Globally: the total rounded once, then shared out.

    All lines of one result share one rate, so "per rate" is the whole set here.
    """
    if profile.rounding_method is RoundingMethod.PER_LINE:
        return [round_money(u, profile.currency, profile.rounding) for u in unrounded]
    total = round_money(sum(unrounded, ZERO), profile.currency, profile.rounding)
    return _allocate(unrounded, total, quantum(profile.currency))


def _allocate(unrounded: Sequence[Decimal], total: Decimal, step: Decimal) -> list[Decimal]:
    """Round each value to ``step`` so that they sum to ``total`` (largest remainder).

    Unlike ``ratio_split`` (a whole cut by non-negative weights) the values here may be
    negative (discount lines); each is floored and the quanta still owed go to the
    largest remainders, earlier lines first on ties. ``total`` is the rounded sum, so
    the quanta owed are between 0 and the number of lines.
    """
    floors = [u.quantize(step, rounding=ROUND_FLOOR) for u in unrounded]
    owed = int((total - sum(floors, ZERO)) / step)
    order = sorted(range(len(floors)), key=lambda i: (floors[i] - unrounded[i], i))
    bumped = set(order[:owed])
    return [f + step if i in bumped else f for i, f in enumerate(floors)]


def _line(
    amount: Decimal,
    tax: Decimal,
    raw: Decimal,
    rate: Decimal,
    treatment: TaxTreatment,
    included: bool,
) -> LineTax:
    net, gross = (amount - tax, amount) if included else (amount, amount + tax)
    return LineTax(net=net, tax=tax, gross=gross, rate=rate, treatment=treatment, unrounded_tax=raw)
