"""Tax: rates by place, exemption, reverse charge, inclusive prices, Odoo's two roundings."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revbridge.domain.money import D, quantum
from revbridge.domain.tax import (
    EU_COUNTRIES,
    BuiltinTaxEngine,
    RoundingMethod,
    TaxCustomer,
    TaxEngine,
    TaxProfile,
    TaxRate,
    TaxTreatment,
    compute_tax,
)
from revbridge.errors import PricingError

FRANCE = TaxProfile(
    country="FR",
    currency="EUR",
    rates=(
        TaxRate("FR", D("20")),
        TaxRate("DE", D("19")),
        TaxRate("ES", D("21")),
        TaxRate("ES", D("7"), region="CN", name="IGIC Canarias"),
        TaxRate("US", D("0")),
    ),
    reverse_charge_zone=EU_COUNTRIES,
)
GLOBALLY = RoundingMethod.GLOBALLY
PARIS = TaxCustomer("FR")


def profile(**changes: object) -> TaxProfile:
    return replace(FRANCE, **changes)  # type: ignore[arg-type]


def test_odoo_17_example_per_line_and_globally() -> None:
    lines = [D("1.03")] * 3
    per_line = compute_tax(lines, PARIS, FRANCE)
    globally = compute_tax(lines, PARIS, profile(rounding_method=GLOBALLY))
    assert (per_line.net_total, per_line.tax_total, per_line.gross_total) == (
        D("3.09"),
        D("0.63"),
        D("3.72"),
    )
    assert (globally.net_total, globally.tax_total, globally.gross_total) == (
        D("3.09"),
        D("0.62"),
        D("3.71"),
    )
    # the global total is handed back to the lines, largest remainder, earlier first
    assert [x.tax for x in globally.lines] == [D("0.21"), D("0.21"), D("0.20")]
    assert [x.unrounded_tax for x in globally.lines] == [D("0.206")] * 3


def test_tax_inclusive_derives_net_from_gross() -> None:
    result = compute_tax([D("120.00"), D("9.99")], PARIS, profile(prices_include_tax=True))
    assert [(x.net, x.tax, x.gross) for x in result.lines] == [
        (D("100.00"), D("20.00"), D("120.00")),
        (D("8.32"), D("1.67"), D("9.99")),  # 9.99 x 20 / 120 = 1.665 -> 1.67
    ]


def test_rate_by_country_and_region() -> None:
    assert FRANCE.rate_for(TaxCustomer("ES")).rate == D("21")
    assert FRANCE.rate_for(TaxCustomer("ES", region="CN")).label == "IGIC Canarias"
    assert FRANCE.rate_for(TaxCustomer("ES", region="MD")).rate == D("21")  # falls back
    assert TaxRate("DE", D("19")).label == "19% DE"


def test_missing_rate_names_the_country() -> None:
    with pytest.raises(PricingError, match="no tax rate for customer country BR"):
        compute_tax([D("10")], TaxCustomer("BR"), FRANCE)


def test_reverse_charge_for_eu_business_across_borders_only() -> None:
    berlin_business = TaxCustomer("DE", tax_id="DE123456789")
    result = compute_tax([D("100")], berlin_business, FRANCE)
    assert result.treatment is TaxTreatment.REVERSE_CHARGE
    assert (result.tax_total, result.gross_total) == (D("0"), D("100"))
    assert "Reverse charge" in result.note
    assert FRANCE.treatment(TaxCustomer("FR", tax_id="FR123")) is TaxTreatment.TAXED  # domestic
    assert FRANCE.treatment(TaxCustomer("DE")) is TaxTreatment.TAXED  # consumer
    assert profile(reverse_charge_zone=frozenset()).treatment(berlin_business) is TaxTreatment.TAXED


def test_exempt_customer_pays_no_tax_even_without_a_rate() -> None:
    result = compute_tax([D("50"), D("-5")], TaxCustomer("BR", exempt=True), FRANCE)
    assert result.treatment is TaxTreatment.EXEMPT
    assert (result.net_total, result.tax_total) == (D("45"), D("0"))


def test_discount_lines_carry_negative_tax() -> None:
    result = compute_tax([D("100.00"), D("-10.00")], PARIS, FRANCE)
    assert [x.tax for x in result.lines] == [D("20.00"), D("-2.00")]


def test_builtin_engine_is_a_tax_engine() -> None:
    engine: TaxEngine = BuiltinTaxEngine()
    assert engine.compute([D("1")], PARIS, FRANCE).tax_total == D("0.20")


def test_profile_refusals() -> None:
    with pytest.raises(PricingError, match="ISO 4217"):
        profile(currency="EURO")
    with pytest.raises(PricingError, match="must not be negative"):
        profile(rates=(TaxRate("FR", D("-1")),))


# --- invariants --------------------------------------------------------------------

currencies = st.sampled_from(["EUR", "JPY", "KWD"])
rates = st.integers(0, 3000).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def invoices(draw: st.DrawFn) -> tuple[str, Decimal, list[Decimal]]:
    currency = draw(currencies)
    step = quantum(currency)
    amounts = draw(st.lists(st.integers(-(10**6), 10**8), min_size=1, max_size=10))
    return currency, draw(rates), [n * step for n in amounts]


def taxed(currency: str, rate: Decimal, method: RoundingMethod, included: bool) -> TaxProfile:
    return TaxProfile(
        country="FR",
        currency=currency,
        rates=(TaxRate("FR", rate),),
        rounding_method=method,
        prices_include_tax=included,
    )


@given(invoices(), st.booleans())
def test_per_line_and_global_differ_by_at_most_a_minor_unit_per_line(
    invoice: tuple[str, Decimal, list[Decimal]], included: bool
) -> None:
    currency, rate, amounts = invoice
    per_line = compute_tax(amounts, PARIS, taxed(currency, rate, RoundingMethod.PER_LINE, included))
    globally = compute_tax(amounts, PARIS, taxed(currency, rate, GLOBALLY, included))
    assert abs(per_line.tax_total - globally.tax_total) <= quantum(currency) * len(amounts)
    for a, b in zip(per_line.lines, globally.lines, strict=True):
        assert abs(a.tax - b.tax) <= quantum(currency)


@given(invoices(), st.sampled_from(list(RoundingMethod)), st.booleans())
def test_every_line_balances_and_totals_add_up(
    invoice: tuple[str, Decimal, list[Decimal]], method: RoundingMethod, included: bool
) -> None:
    currency, rate, amounts = invoice
    result = compute_tax(amounts, PARIS, taxed(currency, rate, method, included))
    for amount, line in zip(amounts, result.lines, strict=True):
        assert line.net + line.tax == line.gross
        assert (line.gross if included else line.net) == amount
        assert line.tax % quantum(currency) == 0
    assert result.net_total + result.tax_total == result.gross_total
