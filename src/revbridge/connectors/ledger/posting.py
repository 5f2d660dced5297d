"""Entries for documents and payments: pure, balanced by construction, checked anyway.

Amounts are the document's own, already rounded to the currency's minor unit, so the
entry needs no rounding: the receivable equals the revenue lines plus the tax, and an
inconsistent document (lines that do not add up to its subtotal) is refused instead
of being forced to balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from revbridge.connectors.ledger.chart import CASH, RECEIVABLE, TAX_PAYABLE, revenue_account

ZERO = Decimal(0)


@dataclass(frozen=True)
class Posting:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    customer_id: str | None = None


@dataclass(frozen=True)
class Entry:
    date: datetime
    kind: str
    reference: str
    description: str
    currency: str
    postings: tuple[Posting, ...]
    correlation_id: str | None = None

    @property
    def balanced(self) -> bool:
        return sum((p.debit for p in self.postings), ZERO) == sum((p.credit for p in self.postings), ZERO)


class Unbalanced(ValueError):
    """An entry whose debits and credits differ: the source document is inconsistent."""


def _checked(entry: Entry) -> Entry:
    if not entry.balanced:
        debits = sum((p.debit for p in entry.postings), ZERO)
        credits = sum((p.credit for p in entry.postings), ZERO)
        raise Unbalanced(f"{entry.reference}: debits {debits} != credits {credits}")
    return entry


def _side(amount: Decimal, account: str, debit: bool, customer_id: str | None = None) -> Posting:
    """A posting on the natural side, flipped for a negative amount (a discount line)."""
    if (amount >= 0) == debit:
        return Posting(account, debit=abs(amount), customer_id=customer_id)
    return Posting(account, credit=abs(amount), customer_id=customer_id)


def document_entry(doc: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> Entry:
    """The entry of a finalised invoice (or, reversed, a credit note)."""
    invoice = doc["kind"] == "invoice"
    revenue: dict[str, Decimal] = {}
    for line in lines:
        account = revenue_account(line.get("price_code"))
        revenue[account] = revenue.get(account, ZERO) + Decimal(line["amount"])
    if sum(revenue.values(), ZERO) != Decimal(doc["subtotal"]):
        raise Unbalanced(f"{doc['number']}: lines add up to {sum(revenue.values(), ZERO)}, subtotal is {doc['subtotal']}")
    postings = [_side(Decimal(doc["total"]), RECEIVABLE, debit=invoice, customer_id=doc["customer_id"])]
    postings += [_side(amount, account, debit=not invoice) for account, amount in sorted(revenue.items()) if amount]
    if Decimal(doc["tax_total"]):
        postings.append(_side(Decimal(doc["tax_total"]), TAX_PAYABLE, debit=not invoice))
    label = "Invoice" if invoice else "Credit note"
    return _checked(Entry(doc["finalized_at"], doc["kind"], doc["number"], f"{label} {doc['number']}",
                          doc["currency"], tuple(postings), doc.get("correlation_id")))


def payment_entry(payment: Mapping[str, Any]) -> Entry:
    """Money in (a payment) or out (a refund), against the customer's receivable."""
    amount = Decimal(payment["amount"])
    incoming = payment["kind"] == "payment"
    postings = (
        Posting(CASH, debit=amount) if incoming else Posting(CASH, credit=amount),
        Posting(RECEIVABLE, credit=amount, customer_id=payment["customer_id"]) if incoming
        else Posting(RECEIVABLE, debit=amount, customer_id=payment["customer_id"]),
    )
    label = "Payment" if incoming else "Refund"
    return _checked(Entry(payment["received_at"], payment["kind"], payment["reference"],
                          f"{label} {payment['reference']}", payment["currency"], postings))


def balances(entries: Iterable[Entry]) -> dict[tuple[str, str], Decimal]:
    """Debit-positive balance per (account, currency)."""
    out: dict[tuple[str, str], Decimal] = {}
    for entry in entries:
        for p in entry.postings:
            key = (p.account, entry.currency)
            out[key] = out.get(key, ZERO) + p.debit - p.credit
    return out
