"""Invoices and credit notes land once, whatever is replayed or where an attempt dies."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from revbridge.connectors.odoo import (
    ContactSpec,
    DocumentKind,
    OdooConnector,
    OdooError,
    OdooLine,
    OdooTransientError,
    OdooUserError,
    ProductSpec,
)
from tests.connectors.odoo.connector.conftest import ConnectorFactory, DocumentFactory, Target


def _counts(target: Target, connector: OdooConnector, number: str) -> dict[str, int]:
    """Partners, products and moves that carry this test's tags."""
    return {
        "partner": target.count("res.partner", [["ref", "=", f"cus_{target.run}"]]),
        "product": target.count("product.product", [["default_code", "=", f"seat_{target.run}"]]),
        "move": target.count("account.move", [["ref", "=", number]]),
    }


def test_replaying_a_sync_changes_nothing(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    doc = document()
    first = connector.sync_document(doc)
    second = connector.sync_document(doc)
    third = connector.sync_document(doc)
    assert first.created and not second.created and not third.created
    assert first.move_id == second.move_id == third.move_id
    assert first.state == "posted" and first.move_name.startswith("INV/")
    assert first.mismatch is None
    assert (first.amount_untaxed, first.amount_tax, first.amount_total) == (
        Decimal("20.00"), Decimal("4.00"), Decimal("24.00"))
    assert _counts(target, connector, doc.number) == {"partner": 1, "product": 1, "move": 1}
    (move,) = target.call("account.move", "read", [first.move_id],
                          fields=["ref", "payment_reference", "move_type", "partner_id"])
    assert (move["ref"], move["payment_reference"], move["move_type"]) == (
        doc.number, doc.number, "out_invoice")


# Each step an invoice sync makes, killed after Odoo committed it and before we heard.
CRASH_POINTS = [
    ("res.partner", "create"),
    ("product.product", "create"),
    ("account.move", "create"),
    ("ir.model.data", "create"),
    ("account.move", "action_post"),
    ("account.move", "read"),
]


@pytest.mark.parametrize(("model", "method"), CRASH_POINTS, ids=lambda v: v)
def test_a_crash_after_odoo_commits_is_recovered_without_duplicates(
    target: Target, connector: OdooConnector, document: DocumentFactory, model: str, method: str
) -> None:
    odoo = target.emulated
    doc = document()
    odoo.crash_after_commit(model=model, method=method)
    with pytest.raises(OdooTransientError):
        connector.sync_document(doc)
    result = connector.sync_document(doc)
    again = connector.sync_document(doc)
    assert result.state == "posted" and again.move_id == result.move_id
    assert _counts(target, connector, doc.number) == {"partner": 1, "product": 1, "move": 1}
    assert result.mismatch is None


def test_every_ir_model_data_write_crashing_once_still_converges(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    """Partner, product and move each lose their external id write once in turn."""
    odoo = target.emulated
    doc = document()
    odoo.crash_after_commit(model="ir.model.data", method="create", times=3)
    for _ in range(3):
        with pytest.raises(OdooTransientError):
            connector.sync_document(doc)
    assert connector.sync_document(doc).state == "posted"
    assert _counts(target, connector, doc.number) == {"partner": 1, "product": 1, "move": 1}
    names = target.call("ir.model.data", "search_read",
                        domain=[["module", "=", "revbridge"], ["res_id", "!=", 0]],
                        fields=["name", "model"])
    mine = [r for r in names if f"t{target.run}_" in r["name"]]
    assert sorted(r["model"] for r in mine) == ["account.move", "product.product", "res.partner"]


def test_a_timeout_after_commit_is_recovered(
    target: Target, connector_factory: ConnectorFactory, document: DocumentFactory
) -> None:
    odoo = target.emulated
    connector = connector_factory(taxes={"vat20": (target.sale_tax("20"), "20")}, timeout=0.3)
    doc = document()
    odoo.timeout(2.0, model="account.move", method="create")
    with pytest.raises(OdooTransientError):
        connector.sync_document(doc)
    assert connector.sync_document(doc).state == "posted"
    assert target.count("account.move", [["ref", "=", doc.number]]) == 1


def test_a_move_left_in_draft_is_posted_by_the_retry(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    odoo = target.emulated
    doc = document()
    odoo.outage(calls=1, model="account.move", method="action_post")
    with pytest.raises(OdooTransientError):
        connector.sync_document(doc)
    (draft,) = target.call("account.move", "search_read", domain=[["ref", "=", doc.number]],
                           fields=["state"])
    assert draft["state"] == "draft"
    assert connector.sync_document(doc).state == "posted"


def test_a_move_cancelled_in_odoo_is_refused_not_recreated(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    doc = document()
    result = connector.sync_document(doc)
    target.call("account.move", "button_cancel", [result.move_id])  # None: success
    with pytest.raises(OdooUserError, match="cancelled in Odoo") as caught:
        connector.sync_document(doc)
    assert not caught.value.retryable
    assert target.count("account.move", [["ref", "=", doc.number]]) == 1


def test_credit_note_reverses_its_invoice(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    invoice = connector.sync_document(document("INV-7"))
    line = OdooLine(ProductSpec(f"seat_{target.run}", "Seat"), "Seat refund", Decimal(1),
                    Decimal(10), Decimal("10.00"), ("vat20",))
    credit_doc = document(
        "CN-7", kind=DocumentKind.CREDIT_NOTE, lines=(line,), reversed_number=f"INV-7-{target.run}",
        amount_untaxed=Decimal("10.00"), amount_tax=Decimal("2.00"), amount_total=Decimal("12.00"),
    )
    credit = connector.sync_document(credit_doc)
    assert connector.sync_document(credit_doc).move_id == credit.move_id
    (row,) = target.call("account.move", "read", [credit.move_id],
                         fields=["move_type", "reversed_entry_id", "state"])
    assert row["move_type"] == "out_refund" and row["reversed_entry_id"][0] == invoice.move_id
    assert credit.move_name.startswith("RINV/") and credit.mismatch is None
    (inv,) = target.call("account.move", "read", [invoice.move_id],
                         fields=["payment_state", "amount_residual"])
    assert (inv["payment_state"], inv["amount_residual"]) == ("partial", 12.0)


def test_credit_note_before_its_invoice_waits(
    connector: OdooConnector, document: DocumentFactory
) -> None:
    credit = document("CN-9", kind=DocumentKind.CREDIT_NOTE, reversed_number="INV-never")
    with pytest.raises(OdooTransientError, match="not in Odoo yet") as caught:
        connector.sync_document(credit)
    assert caught.value.retryable


def test_partner_with_billing_contact_and_link_by_ref(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    spec = dataclasses.replace(
        document().customer, billing_contact=ContactSpec("Ann Billing", "ap@globex.example"))
    partner = connector.ensure_partner(spec)
    assert connector.ensure_partner(spec) == partner
    children = target.call("res.partner", "search_read", domain=[["parent_id", "=", partner]],
                           fields=["type", "name", "email", "vat"])
    assert [(c["type"], c["name"], c["vat"]) for c in children] == [
        ("invoice", "Ann Billing", "DE123456789")]
    # a customer created in Odoo first is adopted by its reference, never duplicated
    (existing,) = target.call("res.partner", "create", vals_list=[
        {"name": "Made in Odoo", "ref": f"odoo-{target.run}", "is_company": True}])
    linked = dataclasses.replace(spec, key=f"cus2_{target.run}", ref=f"odoo-{target.run}",
                                 billing_contact=None)
    assert connector.link_partner_by_ref(linked) == existing
    assert connector.ensure_partner(linked) == existing
    assert target.count("res.partner", [["ref", "=", f"odoo-{target.run}"]]) == 1


def test_link_by_ref_refuses_ambiguous_references(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    for name in ("A", "B"):
        target.call("res.partner", "create", vals_list=[
            {"name": name, "ref": f"dup-{target.run}", "is_company": True}])
    spec = dataclasses.replace(document().customer, key="x", ref=f"dup-{target.run}")
    with pytest.raises(OdooError, match="2 Odoo partners"):
        connector.link_partner_by_ref(spec)


def test_concurrent_workers_create_one_partner_and_product(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    docs = [document(f"PAR-{i}") for i in range(8)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(connector.sync_document, docs))
    assert len({r.move_id for r in results}) == 8
    assert len({r.partner_id for r in results}) == 1
    assert target.count("res.partner", [["ref", "=", f"cus_{target.run}"]]) == 1
    assert target.count("product.product", [["default_code", "=", f"seat_{target.run}"]]) == 1
