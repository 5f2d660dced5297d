"""Odoo's totals equal revbridge's to the cent; when they do not, the result says so."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revbridge.connectors.odoo import OdooConnector, OdooLine, OdooRefused, ProductSpec
from revbridge.connectors.odoo.mapping import LegalEntityMapping, TaxMapping
from revbridge.connectors.odoo.moves import line_values
from revbridge.domain.money import round_money
from revbridge.domain.tax import RoundingMethod, TaxCustomer, TaxProfile, TaxRate, compute_tax
from tests.connectors.odoo.connector.conftest import DocumentFactory, Target

D = Decimal


def _line(target: Target, code: str, quantity: str, unit_price: str) -> OdooLine:
    q, p = D(quantity), D(unit_price)
    return OdooLine(ProductSpec(f"{code}_{target.run}", code), code, q, p,
                    round_money(q * p, "USD"), ("vat20",))


def _priced(document: DocumentFactory, number: str, lines: list[OdooLine], method: str):
    """The document with revbridge's own totals, taxed by ``domain.tax``."""
    profile = TaxProfile("US", "USD", (TaxRate("US", D(20)),), rounding_method=RoundingMethod(method))
    tax = compute_tax([ln.subtotal for ln in lines], TaxCustomer("US"), profile)
    return document(number, lines=tuple(lines), amount_untaxed=tax.net_total,
                    amount_tax=tax.tax_total, amount_total=tax.gross_total)


@pytest.mark.parametrize("method", ["round_per_line", "round_globally"])
def test_four_decimal_unit_price_and_tax_rounding_match_to_the_cent(
    target: Target, connector: OdooConnector, document: DocumentFactory, method: str
) -> None:
    saved = target.rounding()
    target.set_rounding(method)
    try:
        lines = [_line(target, "calls", "12350", "0.0015")] + [
            _line(target, f"fee{i}", "1", "1.03") for i in range(3)
        ]
        doc = _priced(document, f"R-{method}", lines, method)
        result = connector.sync_document(doc)
    finally:
        target.set_rounding(saved)
    # 12350 x 0.0015 = 18.525 -> 18.53; per line 3.71 + 3 x 0.21, globally 21.62 x 20 % = 4.324
    expected_tax = {"round_per_line": D("4.34"), "round_globally": D("4.32")}[method]
    assert doc.amount_tax == expected_tax
    assert result.mismatch is None
    assert (result.amount_untaxed, result.amount_tax, result.amount_total) == (
        D("21.62"), expected_tax, D("21.62") + expected_tax)
    (usage,) = target.call("account.move.line", "search_read",
                           domain=[["move_id", "=", result.move_id],
                                   ["product_id.default_code", "=", f"calls_{target.run}"]],
                           fields=["quantity", "price_unit", "price_subtotal", "name"])
    assert (usage["quantity"], usage["price_unit"], usage["price_subtotal"]) == (1.0, 18.53, 18.53)
    assert "12350 x 0.0015" in usage["name"]


def test_a_different_rounding_method_in_odoo_surfaces_as_a_mismatch(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    saved = target.rounding()
    target.set_rounding("round_per_line")
    try:
        lines = [_line(target, f"fee{i}", "1", "1.03") for i in range(3)]
        doc = _priced(document, "R-mismatch", lines, "round_globally")  # revbridge: 0.62
        result = connector.sync_document(doc)
    finally:
        target.set_rounding(saved)
    assert result.state == "posted"
    assert result.mismatch is not None
    fields = {d.field: (d.revbridge, d.odoo) for d in result.mismatch.differences}
    assert fields == {"amount_tax": (D("0.62"), D("0.63")), "amount_total": (D("3.71"), D("3.72"))}
    assert "amount_tax 0.62 here vs 0.63 in Odoo" in str(result.mismatch)


ENTITY = LegalEntityMapping("us", 1, "USD", 1, taxes={"vat20": TaxMapping("vat20", 7)})


@pytest.mark.parametrize(
    ("quantity", "unit_price", "subtotal", "posted"),
    [
        ("2", "10", "20.00", ("2", "10")),  # fits: posted as is
        ("12350", "0.0015", "18.53", ("1", "18.53")),  # unit price too fine
        ("1.5", "3", "4.50", ("1.5", "3")),  # quantity within 2 digits
        ("0.125", "8", "1.00", ("1", "1.00")),  # quantity too fine
        ("100", "0.5", "45.00", ("1", "45.00")),  # tiered: subtotal is not q x p
        ("-1", "5.00", "-5.00", ("-1", "5.00")),  # discount line
    ],
)
def test_line_values_keep_the_subtotal_exact(
    quantity: str, unit_price: str, subtotal: str, posted: tuple[str, str]
) -> None:
    line = OdooLine(ProductSpec("p", "P"), "Usage", D(quantity), D(unit_price), D(subtotal),
                    ("vat20",))
    vals = line_values(line, currency="USD", product_id=3, entity=ENTITY, price_digits=2,
                       quantity_digits=2)
    assert (vals["quantity"], vals["price_unit"]) == (D(posted[0]), D(posted[1]))
    assert vals["tax_ids"] == [[6, 0, [7]]]
    assert round_money(vals["quantity"] * vals["price_unit"], "USD") == D(subtotal)
    collapsed = posted[0] == "1" and quantity != "1"
    assert (f"{D(quantity).normalize():f} x" in vals["name"]) == collapsed


def test_a_subtotal_odoo_cannot_hold_is_refused() -> None:
    line = OdooLine(ProductSpec("p", "P"), "KWD", D(1), D("1.234"), D("1.234"), ("vat20",))
    with pytest.raises(OdooRefused, match="Product Price precision"):
        line_values(line, currency="KWD", product_id=3, entity=ENTITY, price_digits=2,
                    quantity_digits=2)


def test_an_unmapped_tax_is_refused() -> None:
    line = OdooLine(ProductSpec("p", "P"), "x", D(1), D(1), D("1.00"), ("vat7",))
    with pytest.raises(OdooRefused, match="no Odoo tax mapped for vat7"):
        line_values(line, currency="USD", product_id=3, entity=ENTITY, price_digits=2,
                    quantity_digits=2)
