"""Exact money: ``Decimal`` amounts tied to an ISO 4217 currency.

Why a module of its own: every amount in revbridge passes through here, so this is the
one place that decides how numbers are built (``D``, from ``str``, never ``float``) and
how they are rounded (half-up to the currency's minor unit unless a legal entity says
otherwise). Rounding happens only at named boundaries: a line, a tax, an invoice.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import NamedTuple

from revbridge.errors import ValidationError

# ISO 4217 minor units for the currencies that are not 2 (the default).
_MINOR_UNITS: dict[str, int] = {
    # zero decimals
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    # three decimals
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # four decimals
    "CLF": 4, "UYW": 4,
}
# The active ISO 4217 codes (2024 list). A code outside it is refused at the edge.
_ISO_4217 = frozenset(
    (
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
        "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP",
        "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU",
        "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
        "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL",
        "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES",
        "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD",
        "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
        "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR",
        "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF",
        "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
        "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS",
        "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV",
        "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG"
    )
)

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def D(value: str | int | Decimal) -> Decimal:
    """The one number constructor: from ``str``, ``int`` or ``Decimal``, never ``float``."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"money must not be built from {type(value).__name__}: {value!r}")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(value)
        except (InvalidOperation, ValueError):
            raise ValueError(f"not a decimal number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def check_currency(code: str, field: str = "currency") -> str:
    """Return ``code`` if it is an active ISO 4217 code, else raise ``ValidationError``."""
    if not isinstance(code, str) or code not in _ISO_4217:
        raise ValidationError(field, "not an ISO 4217 currency code", code)
    return code


def minor_unit(currency: str) -> int:
    """Decimals of the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    return _MINOR_UNITS.get(currency, 2)


def quantum(currency: str) -> Decimal:
    """The smallest amount of ``currency``: ``Decimal('0.01')`` for USD."""
    return Decimal(1).scaleb(-minor_unit(currency))


def round_money(amount: Decimal, currency: str, mode: str = "half_up") -> Decimal:
    """Round ``amount`` to the currency's minor unit (half-up by default, as Odoo does).

    Half-up means half away from zero: 2.675 -> 2.68 and -2.675 -> -2.68, as Odoo's
    ``res.currency.round``. The precision is widened for the call so that a large
    amount is rounded, never refused with ``InvalidOperation`` by the 28-digit context.
    """
    if mode not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {mode!r}; expected one of {sorted(ROUNDING_MODES)}")
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, amount.adjusted() + minor_unit(currency) + 2)
        return amount.quantize(quantum(currency), rounding=ROUNDING_MODES[mode])


class Money(NamedTuple):
    """An immutable amount in a currency. Arithmetic refuses to mix currencies.

    Being a tuple, ``Money`` would otherwise inherit tuple repetition (``m * 2`` gives a
    4-tuple) and tuple ordering (``USD 1 < EUR 2`` compares the amounts only); both are
    overridden so that multiplying scales the amount and comparing needs one currency.
    """

    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        return cls(D(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other!r}")

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented  # not tuple concatenation: ``m + (1, "x")`` is a TypeError
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: object) -> Money:
        if not isinstance(factor, (Decimal, int)) or isinstance(factor, bool):
            raise TypeError(f"money can only be multiplied by a Decimal or an int, not {factor!r}")
        return self.times(factor)

    def __rmul__(self, factor: object) -> Money:
        return self.__mul__(factor)

    def _amount_vs(self, other: object) -> tuple[Decimal, Decimal]:
        if not isinstance(other, Money):
            raise TypeError(f"cannot compare {self!r} with {other!r}")
        self._same(other)
        return self.amount, other.amount

    def __lt__(self, other: object) -> bool:
        a, b = self._amount_vs(other)
        return a < b

    def __le__(self, other: object) -> bool:
        a, b = self._amount_vs(other)
        return a <= b

    def __gt__(self, other: object) -> bool:
        a, b = self._amount_vs(other)
        return a > b

    def __ge__(self, other: object) -> bool:
        a, b = self._amount_vs(other)
        return a >= b

    def times(self, factor: Decimal | int) -> Money:
        """Multiply by an exact factor (a quantity or a share); floats are refused."""
        if isinstance(factor, float):
            raise TypeError("money must not be multiplied by a float")
        return Money(self.amount * factor, self.currency)

    def rounded(self, mode: str = "half_up") -> Money:
        return Money(round_money(self.amount, self.currency, mode), self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
