"""Payments registered once, payments pulled back once, journal entries posted once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from revbridge.connectors.odoo import (
    JournalEntry,
    JournalLine,
    OdooConnector,
    OdooRefused,
    OdooTransientError,
    PaymentSpec,
    PullState,
)
from tests.connectors.odoo.connector.conftest import DocumentFactory, Target

D = Decimal


def _pay(target: Target, number: str, amount: str, key: str = "pay1") -> PaymentSpec:
    return PaymentSpec(f"{key}_{target.run}", number, "us", D(amount), dt.date(2026, 12, 1))


def test_payment_is_registered_once(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    invoice = connector.sync_document(document())
    first = connector.register_payment(_pay(target, document().number, "10.00"))
    again = connector.register_payment(_pay(target, document().number, "10.00"))
    assert first.created and not again.created and first.payment_id == again.payment_id
    assert (first.invoice_payment_state, first.invoice_residual) == ("partial", D("14.00"))
    assert first.payment_name and first.invoice_id == invoice.move_id
    rest = connector.register_payment(_pay(target, document().number, "14.00", "pay2"))
    assert (rest.invoice_payment_state, rest.invoice_residual) == ("paid", D("0.0"))
    # a third payment for a paid invoice is not sent (Odoo would fault)
    late = connector.register_payment(_pay(target, document().number, "1.00", "pay3"))
    assert late.payment_id is None and late.skipped_reason == "invoice already paid in Odoo"


def test_payment_crash_after_commit_is_found_by_its_memo(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    odoo = target.emulated
    connector.sync_document(document())
    odoo.crash_after_commit(model="account.payment.register", method="action_create_payments")
    spec = _pay(target, document().number, "24.00")
    with pytest.raises(OdooTransientError):
        connector.register_payment(spec)
    result = connector.register_payment(spec)
    assert not result.created and result.invoice_payment_state == "paid"
    assert target.count("account.payment", []) == 1


def test_payment_before_its_invoice_waits(target: Target, connector: OdooConnector) -> None:
    with pytest.raises(OdooTransientError, match="not in Odoo yet"):
        connector.register_payment(_pay(target, "INV-nowhere", "1.00"))


def test_pull_returns_odoo_side_changes_once(
    target: Target, connector: OdooConnector, document: DocumentFactory
) -> None:
    invoice = connector.sync_document(document())
    first = connector.pull_changes()
    mine = [m for m in first.moves if m.move_id == invoice.move_id]
    assert [(m.number, m.payment_state) for m in mine] == [(document().number, "not_paid")]
    # nothing new: the watermark record (same second, FACTS 14) is not returned again
    assert not connector.pull_changes(first.state).moves
    # a payment made by hand in Odoo, within the same second
    context = {"active_model": "account.move", "active_ids": [invoice.move_id]}
    (wizard,) = target.call("account.payment.register", "create",
                            vals_list=[{"amount": D("24.00"), "payment_date": "2026-12-02"}],
                            context=context)
    target.call("account.payment.register", "action_create_payments", [wizard],
                context=context)
    second = connector.pull_changes(first.state)
    assert [(m.move_id, m.payment_state, m.amount_residual) for m in second.moves] == [
        (invoice.move_id, "paid", D("0.0"))]
    (payment,) = second.payments
    assert (payment.amount, payment.payment_type, payment.invoice_numbers) == (
        D("24.0"), "inbound", (document().number,))
    third = connector.pull_changes(second.state)
    assert not third.moves and not third.payments
    assert connector.pull_changes(PullState()).moves  # from scratch: everything again


def _entry(target: Target, *lines: JournalLine) -> JournalEntry:
    return JournalEntry(f"rev-{target.run}", "us", dt.date(2026, 11, 30),
                        f"REV 2026-11 {target.run}", "USD", lines)


def test_journal_entry_posted_once(target: Target, connector: OdooConnector) -> None:
    entry = _entry(target, JournalLine("receivable", "unbilled", debit=D("150.00")),
                   JournalLine("deferred_revenue", "deferred", credit=D("150.00")))
    first = connector.post_entry(entry)
    again = connector.post_entry(entry)
    assert first.created and not again.created and first.move_id == again.move_id
    assert first.state == "posted" and first.move_name.startswith("MISC/")


def test_journal_entry_crash_after_create_is_recovered(
    target: Target, connector: OdooConnector
) -> None:
    odoo = target.emulated
    entry = _entry(target, JournalLine("receivable", "a", debit=D("5.00")),
                   JournalLine("deferred_revenue", "b", credit=D("5.00")))
    odoo.crash_after_commit(model="account.move", method="create")
    with pytest.raises(OdooTransientError):
        connector.post_entry(entry)
    assert connector.post_entry(entry).state == "posted"
    assert target.count("account.move", [["ref", "=", entry.ref]]) == 1


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ((JournalLine(12, "a", debit=D("100.00")), JournalLine(6, "b", credit=D("99.99"))),
         "not balanced"),
        ((JournalLine(12, "a", debit=D("1.00"), credit=D("1.00")),
          JournalLine(6, "b", credit=D("0"))), "exactly one"),
        ((JournalLine(12, "a", debit=D("-1.00")), JournalLine(6, "b", credit=D("-1.00"))),
         "negative"),
        ((JournalLine(12, "a", debit=D("1.005")), JournalLine(6, "b", credit=D("1.005"))),
         "decimals"),
        ((JournalLine(12, "a", debit=D("1")),), "two lines"),
        ((JournalLine("nope", "a", debit=D("1")), JournalLine(6, "b", credit=D("1"))),
         "no Odoo account mapped"),
    ],
)
def test_unbalanced_entries_are_refused_before_calling_odoo(
    target: Target, connector: OdooConnector, lines: tuple[JournalLine, ...], reason: str
) -> None:
    before = connector.calls
    with pytest.raises(OdooRefused, match=reason) as caught:
        connector.post_entry(_entry(target, *lines))
    assert not caught.value.retryable
    assert connector.calls == before
