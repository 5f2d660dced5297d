"""Payments, refunds and credit notes settle invoices; amounts due always add up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revbridge.billing.documents import get_document
from revbridge.errors import ConflictError, ValidationError
from revbridge.payments.service import balance, payment_status, record_payment, record_refund
from tests.books import Books


def due(books: Books, number: str) -> Decimal:
    with books.scope() as scope:
        return Decimal(get_document(scope, number)["amount_due"])


def test_payment_settles_oldest_invoice_first_and_keeps_the_rest(books: Books) -> None:
    first = books.invoice("acme", "100.00")  # 110.00 with tax
    second = books.invoice("acme", "50.00")  # 55.00
    with books.scope() as scope:
        paid = record_payment(scope, "acme", "130.00", reference="bank-1")
    assert [a["number"] for a in paid["applied"]] == [first["number"], second["number"]]
    assert (due(books, first["number"]), due(books, second["number"])) == (0, Decimal("35.00"))
    assert payment_status(Decimal("55.00"), Decimal("35.00")) == "partially_paid"
    with books.scope() as scope:
        assert balance(scope, "acme")["balances"][0]["receivable"] == Decimal("35.00")


def test_the_same_reference_records_once(books: Books) -> None:
    books.invoice("acme", "100.00")
    with books.scope() as scope:
        one = record_payment(scope, "acme", "20.00", source="stripe", reference="ch_1")
        two = record_payment(scope, "acme", "20.00", source="stripe", reference="ch_1")
        assert one["id"] == two["id"]
        with pytest.raises(ConflictError, match="already recorded"):
            record_payment(scope, "acme", "25.00", source="stripe", reference="ch_1")


def test_overpayment_becomes_credit_used_by_the_next_invoice(books: Books) -> None:
    with books.scope() as scope:
        record_payment(scope, "acme", "200.00", reference="prepay")
        assert balance(scope, "acme")["balances"][0]["unapplied_credit"] == Decimal("200.00")
    later = books.invoice("acme", "100.00")
    with books.scope() as scope:
        from revbridge.payments.service import settle

        settle(scope, get_document(scope, later["number"])["customer_id"], "USD")
    assert due(books, later["number"]) == 0


def test_credit_note_settles_the_invoice_it_corrects(books: Books) -> None:
    other = books.invoice("acme", "10.00")
    corrected = books.invoice("acme", "100.00")
    books.credit(corrected["id"], "40.00")  # 44.00 with tax
    with books.scope() as scope:
        from revbridge.payments.service import settle

        settle(scope, get_document(scope, corrected["number"])["customer_id"], "USD")
    assert due(books, corrected["number"]) == Decimal("66.00")
    assert due(books, other["number"]) == Decimal("11.00")


def test_refund_takes_unapplied_money_first_then_reopens_invoices(books: Books) -> None:
    invoice = books.invoice("acme", "100.00")
    with books.scope() as scope:
        paid = record_payment(scope, "acme", "150.00", reference="p1")
        record_refund(scope, paid["id"], "30.00")
    assert due(books, invoice["number"]) == 0  # the 40 unapplied covered it
    with books.scope() as scope:
        record_refund(scope, paid["id"], "50.00")
    assert due(books, invoice["number"]) == Decimal("40.00")
    with books.scope() as scope, pytest.raises(ConflictError, match="at most 70.00"):
        record_refund(scope, paid["id"], "80.00")


def test_bad_payments_are_refused_by_field(books: Books) -> None:
    with books.scope() as scope:
        for amount in ("-5", "0", "1.005", "abc"):
            with pytest.raises(ValidationError, match="amount"):
                record_payment(scope, "acme", amount)
        with pytest.raises(ValidationError, match="currency"):
            record_payment(scope, "acme", "10.00", currency="XXX")
    invoice = books.invoice("acme", "10.00")
    with books.scope() as scope, pytest.raises(ConflictError, match="another customer"):
        record_payment(scope, "globex", "10.00", invoice=invoice["number"])
