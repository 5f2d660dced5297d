"""Record payments and refunds, and settle invoices with payments and credit notes.

``settle`` is the one place that applies money to invoices: unapplied credit notes
first (each to the invoice it corrects, then to others), then unapplied payments,
oldest first, to the customer's open invoices in the same currency, oldest first. It
is idempotent: with nothing unapplied or nothing open it does nothing, so every
producer can call it after its change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, select, update

from revbridge import audit
from revbridge.billing.tables import documents
from revbridge.catalog.customers import get_customer
from revbridge.domain.money import check_currency, round_money
from revbridge.errors import ConflictError, NotFoundError, ValidationError
from revbridge.ids import new_id
from revbridge.outbox.delivery import deliver
from revbridge.payments.tables import applications, payments
from revbridge.scope import Scope

ZERO = Decimal(0)
SOURCES = ("manual", "stripe", "odoo", "bank")


@dataclass(frozen=True)
class Credit:
    """Money a customer has that is not yet applied: a payment or a credit note."""

    payment_id: str | None
    credit_note_id: str | None
    prefers: str | None  # the invoice a credit note corrects
    unapplied: Decimal


def _amount(value: Any, currency: str, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(field, "a decimal amount", value) from None
    if isinstance(value, float) or not amount.is_finite() or amount <= 0:
        raise ValidationError(field, f"a positive amount in {currency}", str(value))
    if round_money(amount, currency) != amount:
        raise ValidationError(field, f"at most the minor unit of {currency}", str(value))
    return amount


def _sums(rows: Any) -> dict[str, Decimal]:
    """Exact per-key totals. Summed here, not in SQL: SQLite would add decimal text as floats."""
    out: dict[str, Decimal] = {}
    for key, amount in rows:
        out[key] = out.get(key, ZERO) + amount
    return out


def _applied(scope: Scope, column: Any, ids: list[str]) -> dict[str, Decimal]:
    if not ids:
        return {}
    return _sums(scope.conn.execute(select(column, applications.c.amount).where(
        applications.c.workspace_id == scope.workspace_id, column.in_(ids))))


def _credits(scope: Scope, customer_id: str, currency: str) -> list[Credit]:
    notes = scope.conn.execute(select(documents.c.id, documents.c.credit_of, documents.c.total).where(
        documents.c.workspace_id == scope.workspace_id, documents.c.customer_id == customer_id,
        documents.c.currency == currency, documents.c.kind == "credit_note",
        documents.c.state == "finalized").order_by(documents.c.finalized_at, documents.c.id)).all()
    paid = scope.conn.execute(select(payments.c.id, payments.c.amount).where(
        payments.c.workspace_id == scope.workspace_id, payments.c.customer_id == customer_id,
        payments.c.currency == currency, payments.c.kind == "payment").order_by(payments.c.received_at, payments.c.id)).all()
    used_notes = _applied(scope, applications.c.credit_note_id, [n.id for n in notes])
    used_paid = _applied(scope, applications.c.payment_id, [p.id for p in paid])
    refunded = _refunded(scope, [p.id for p in paid])
    out = [Credit(None, n.id, n.credit_of, n.total - used_notes.get(n.id, ZERO)) for n in notes]
    out += [Credit(p.id, None, None, p.amount - used_paid.get(p.id, ZERO) - refunded.get(p.id, ZERO)) for p in paid]
    return [c for c in out if c.unapplied > 0]


def _refunded(scope: Scope, payment_ids: list[str]) -> dict[str, Decimal]:
    if not payment_ids:
        return {}
    return _sums(scope.conn.execute(select(payments.c.refund_of, payments.c.amount).where(
        payments.c.workspace_id == scope.workspace_id, payments.c.refund_of.in_(payment_ids))))


def _open_invoices(scope: Scope, customer_id: str, currency: str) -> list[Any]:
    rows = scope.conn.execute(select(documents).where(
        documents.c.workspace_id == scope.workspace_id, documents.c.customer_id == customer_id,
        documents.c.currency == currency, documents.c.kind == "invoice", documents.c.state == "finalized",
    ).order_by(documents.c.finalized_at, documents.c.id)).all()
    return [r for r in rows if r.amount_due > 0]  # compared as Decimal: SQLite stores the text


def _apply(scope: Scope, customer_id: str, document_id: str, amount: Decimal, payment_id: str | None = None,
           credit_note_id: str | None = None) -> None:
    scope.conn.execute(applications.insert().values(
        id=new_id("app"), workspace_id=scope.workspace_id, customer_id=customer_id, document_id=document_id,
        payment_id=payment_id, credit_note_id=credit_note_id, amount=amount, applied_at=scope.now))
    doc = scope.conn.execute(select(documents.c.amount_paid, documents.c.amount_due).where(
        documents.c.id == document_id).with_for_update()).one()
    scope.conn.execute(update(documents).where(documents.c.id == document_id).values(  # in Decimal, not SQL
        amount_paid=doc.amount_paid + amount, amount_due=doc.amount_due - amount, updated_at=scope.now))


def settle(scope: Scope, customer_id: str, currency: str, first: str | None = None) -> int:
    """Apply the customer's unapplied credit to its open invoices; returns applications made.

    ``first`` names an invoice to settle before the others (the one a payment was for).
    """
    made = 0
    invoices = {i.id: i.amount_due for i in _open_invoices(scope, customer_id, currency)}
    order = list(invoices)
    if first in invoices:
        order.remove(first)
        order.insert(0, first)
    for credit in _credits(scope, customer_id, currency):
        left = credit.unapplied
        targets = ([credit.prefers] if credit.prefers in invoices else []) + [i for i in order if i != credit.prefers]
        for invoice_id in targets:
            if left <= 0:
                break
            take = min(left, invoices[invoice_id])
            if take <= 0:
                continue
            _apply(scope, customer_id, invoice_id, take, credit.payment_id, credit.credit_note_id)
            invoices[invoice_id] -= take
            left -= take
            made += 1
    return made


def settle_many(scope: Scope, pairs: Sequence[tuple[str, str]]) -> int:
    """``settle`` for many (customer, currency) pairs, skipping those with no credit at all.

    One query finds which customers hold any payment or credit note; a billing run's
    thousands of customers without one cost nothing more.
    """
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return 0
    ids = sorted({c for c, _ in wanted})
    holders: set[tuple[str, str]] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        holders |= {(r.customer_id, r.currency) for r in scope.conn.execute(select(
            payments.c.customer_id, payments.c.currency).where(
            payments.c.workspace_id == scope.workspace_id, payments.c.customer_id.in_(chunk)).distinct())}
        holders |= {(r.customer_id, r.currency) for r in scope.conn.execute(select(
            documents.c.customer_id, documents.c.currency).where(
            documents.c.workspace_id == scope.workspace_id, documents.c.customer_id.in_(chunk),
            documents.c.kind == "credit_note", documents.c.state == "finalized").distinct())}
    return sum(settle(scope, customer_id, currency) for customer_id, currency in wanted
               if (customer_id, currency) in holders)


def record_payment(
    scope: Scope,
    customer: str,
    amount: Any,
    currency: str | None = None,
    received_at: datetime | None = None,
    reference: str | None = None,
    source: str = "manual",
    method: str = "manual",
    invoice: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record money received once per (source, reference), and settle invoices with it."""
    cust = get_customer(scope, customer)
    currency = check_currency(currency or cust["currency"], "currency")
    value = _amount(amount, currency)
    if source not in SOURCES:
        raise ValidationError("source", f"one of {', '.join(SOURCES)}", source)
    reference = reference or new_id("ref")
    existing = scope.conn.execute(select(payments).where(
        payments.c.workspace_id == scope.workspace_id, payments.c.source == source,
        payments.c.reference == reference)).first()
    if existing is not None:
        if (existing.customer_id, existing.amount, existing.currency) != (cust["id"], value, currency):
            raise ConflictError("reference", "already recorded with another customer, amount or currency", reference)
        return get_payment(scope, existing.id)
    target = _invoice_for(scope, invoice, cust["id"], currency) if invoice else None
    payment_id = new_id("pay")
    scope.conn.execute(payments.insert().values(
        id=payment_id, workspace_id=scope.workspace_id, customer_id=cust["id"], kind="payment", refund_of=None,
        currency=currency, amount=value, received_at=received_at or scope.now, method=method, source=source,
        reference=reference, note=note, created_at=scope.now))
    settle(scope, cust["id"], currency, first=target)
    deliver(scope, "payment.recorded", payment_id, f"customer:{cust['id']}", {"payment_id": payment_id},
            cust["legal_entity_id"])
    audit.record(scope, "payment.record", "payment", payment_id, after={"amount": str(value), "currency": currency})
    return get_payment(scope, payment_id)


def _invoice_for(scope: Scope, invoice: str, customer_id: str, currency: str) -> str:
    row = scope.conn.execute(select(documents).where(
        documents.c.workspace_id == scope.workspace_id, documents.c.kind == "invoice",
        (documents.c.id == invoice) | (documents.c.number == invoice))).first()
    if row is None:
        raise NotFoundError(f"no invoice {invoice!r} in this workspace")
    if row.customer_id != customer_id or row.currency != currency:
        raise ConflictError("invoice", "the invoice belongs to another customer or currency", invoice)
    if row.state != "finalized":
        raise ConflictError("invoice", f"the invoice is {row.state}; only a finalised invoice can be paid", invoice)
    return str(row.id)


def record_refund(scope: Scope, payment_id: str, amount: Any = None, reference: str | None = None,
                  note: str | None = None) -> dict[str, Any]:
    """Return money of a payment: from its unapplied part first, then un-applying newest invoices."""
    paid = _payment_row(scope, payment_id)
    if paid.kind != "payment":
        raise ConflictError("payment", "only a payment can be refunded", payment_id)
    applied = _applied(scope, applications.c.payment_id, [paid.id]).get(paid.id, ZERO)
    refunded = _refunded(scope, [paid.id]).get(paid.id, ZERO)
    refundable = paid.amount - refunded
    value = refundable if amount is None else _amount(amount, paid.currency)
    if value <= 0 or value > refundable:
        raise ConflictError("amount", f"at most {refundable} {paid.currency} of this payment is left to refund",
                            str(amount))
    refund_id = new_id("rfd")
    scope.conn.execute(payments.insert().values(
        id=refund_id, workspace_id=scope.workspace_id, customer_id=paid.customer_id, kind="refund", refund_of=paid.id,
        currency=paid.currency, amount=value, received_at=scope.now, method=paid.method, source=paid.source,
        reference=reference or f"refund:{paid.reference}:{new_id('r')}", note=note, created_at=scope.now))
    _unapply(scope, paid, value - (paid.amount - refunded - applied))
    deliver(scope, "payment.refunded", refund_id, f"customer:{paid.customer_id}", {"payment_id": refund_id},
            get_customer(scope, paid.customer_id)["legal_entity_id"])
    audit.record(scope, "payment.refund", "payment", refund_id, after={"amount": str(value), "of": paid.id})
    return get_payment(scope, refund_id)


def _unapply(scope: Scope, paid: Any, needed: Decimal) -> None:
    """Take ``needed`` back from the invoices this payment settled, newest first."""
    if needed <= 0:
        return
    totals = _sums(scope.conn.execute(select(applications.c.document_id, applications.c.amount).where(
        applications.c.payment_id == paid.id)))
    for document_id, total in sorted(totals.items(), reverse=True):
        take = min(needed, total)
        if take > 0:
            _apply(scope, paid.customer_id, document_id, -take, payment_id=paid.id)
            needed -= take
        if needed <= 0:
            return


def _payment_row(scope: Scope, payment_id: str) -> Any:
    row = scope.conn.execute(select(payments).where(
        payments.c.workspace_id == scope.workspace_id, payments.c.id == payment_id)).first()
    if row is None:
        raise NotFoundError(f"no payment {payment_id!r} in this workspace")
    return row


def get_payment(scope: Scope, payment_id: str) -> dict[str, Any]:
    row = _payment_row(scope, payment_id)
    applied = scope.conn.execute(select(applications.c.document_id, documents.c.number, applications.c.amount).join(
        documents, documents.c.id == applications.c.document_id).where(
        applications.c.payment_id == row.id).order_by(applications.c.applied_at, applications.c.id)).all()
    out = {k: v for k, v in row._mapping.items() if k != "workspace_id"}
    out["applied"] = [{"document_id": a.document_id, "number": a.number, "amount": a.amount} for a in applied]
    return out


def list_payments(scope: Scope, customer: str | None = None) -> list[dict[str, Any]]:
    where = [payments.c.workspace_id == scope.workspace_id]
    if customer:
        where.append(payments.c.customer_id == get_customer(scope, customer)["id"])
    rows = scope.conn.execute(select(payments.c.id).where(and_(*where)).order_by(payments.c.received_at, payments.c.id))
    return [get_payment(scope, r.id) for r in rows]


def payment_status(total: Decimal, amount_due: Decimal) -> str:
    """An invoice's settlement: ``paid``, ``partially_paid`` or ``unpaid``."""
    if amount_due <= 0:
        return "paid"
    return "partially_paid" if amount_due < total else "unpaid"


def balance(scope: Scope, customer: str) -> dict[str, Any]:
    """What the customer owes per currency: open invoices, unapplied credit, and the net."""
    cust = get_customer(scope, customer)
    currencies = {r.currency for r in scope.conn.execute(select(documents.c.currency).where(
        documents.c.workspace_id == scope.workspace_id, documents.c.customer_id == cust["id"]).distinct())}
    currencies |= {r.currency for r in scope.conn.execute(select(payments.c.currency).where(
        payments.c.workspace_id == scope.workspace_id, payments.c.customer_id == cust["id"]).distinct())}
    out = []
    for currency in sorted(currencies):
        due = sum((i.amount_due for i in _open_invoices(scope, cust["id"], currency)), ZERO)
        credit = sum((c.unapplied for c in _credits(scope, cust["id"], currency)), ZERO)
        out.append({"currency": currency, "open_invoices": due, "unapplied_credit": credit, "receivable": due - credit})
    return {"customer": cust["key"], "balances": out}
