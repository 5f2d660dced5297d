"""Expected minus issued, per charge key, and how the difference becomes documents. Pure.

Why per key: a key names one price of one plan version of one subscription for one
billing period, so "what is owed for it" has one answer at any time, and the sum of
every document ever issued for it (invoice lines minus credit note lines) must end up
equal to that answer. Whatever happened in between (late usage, backdated amendments,
price corrections, concurrent runs), each run issues exactly the gap, so a second run
with nothing new issues nothing and any interleaving converges.

How a gap is written:

- a key never issued gets its expected lines as they are, one per phase segment, with
  their quantities, unit prices and tier breakdowns;
- a key already issued gets one adjustment line: the amount and quantity differences,
  the unit price and rating of what is expected now, and a sentence saying what was
  billed before. A gap of zero is not written (a quantity change inside an allowance
  leaves nothing to bill).

How gaps become documents (``plan_documents``): positive gaps, and negative gaps of keys
no invoice carried yet (a new coupon), go on one invoice; negative gaps of issued keys
go on a credit note referencing the latest invoice that carried the key (one credit
note per such invoice). Should the invoice still come out negative, its negative lines
move to a credit note of the invoice that billed the same period, so no invoice is ever
negative. Zero lines (usage within an allowance) ride along on an invoice that is
issued anyway and never make one on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum

from revbridge.billing.charges import Charge
from revbridge.domain.period import Period
from revbridge.errors import PricingError

__all__ = ["DocumentKind", "DocumentPlan", "IssuedCharge", "differences", "plan_documents"]

ZERO = Decimal(0)


class DocumentKind(str, Enum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class IssuedCharge:
    """A finalised billing line, as stored: credit note amounts are positive."""

    charge: Charge
    document_id: str
    kind: DocumentKind

    @property
    def sign(self) -> int:
        return 1 if self.kind is DocumentKind.INVOICE else -1


@dataclass(frozen=True)
class Difference:
    """A line to issue (``charge.amount`` signed: positive means the customer owes more)."""

    charge: Charge
    new: bool  # no document carried this key before
    corrects: str | None  # the latest invoice that carried the key


def differences(expected: Sequence[Charge], issued: Sequence[IssuedCharge], as_of: datetime) -> list[Difference]:
    """The lines that bring ``issued`` (in finalisation order) to ``expected``.

    Issued lines not due by ``as_of`` are left alone: a run as of an earlier instant
    does not know those charges, so it must not credit them.
    """
    parts: dict[str, list[Charge]] = {}
    for charge in expected:
        parts.setdefault(charge.key, []).append(charge)
    before: dict[str, list[IssuedCharge]] = {}
    for line in issued:
        if line.charge.due_at <= as_of:
            before.setdefault(line.charge.key, []).append(line)
    out: list[Difference] = []
    for key in sorted(parts.keys() | before.keys()):
        now, then = parts.get(key, []), before.get(key, [])
        if not then:
            out.extend(Difference(p, True, None) for p in now)
            continue
        adjustment = _adjustment(now, then)
        if adjustment is not None:
            invoices = [line.document_id for line in then if line.kind is DocumentKind.INVOICE]
            out.append(Difference(adjustment, False, invoices[-1] if invoices else None))
    out.sort(key=_line_order)
    return out


def _line_order(diff: Difference) -> tuple[str, datetime, bool, str, datetime]:
    """Lines by subscription and period, discounts after what they discount."""
    c = diff.charge
    return (c.subscription_id, c.period.start, c.kind == "discount", c.key, c.service.start)


def _adjustment(now: Sequence[Charge], then: Sequence[IssuedCharge]) -> Charge | None:
    expected = sum((c.amount for c in now), ZERO)
    billed = sum((line.sign * line.charge.amount for line in then), ZERO)
    gap = expected - billed
    if gap == 0:
        return None
    quantity_now = sum((c.quantity for c in now), ZERO)
    quantity_then = sum((line.sign * line.charge.quantity for line in then), ZERO)
    base = now[-1] if now else then[-1].charge
    spans = [c.service for c in now] or [line.charge.service for line in then]
    service = Period(min(s.start for s in spans), max(s.end for s in spans))
    explanation = (
        f"now {expected} for quantity {_num(quantity_now)}; previously billed {billed} for quantity "
        f"{_num(quantity_then)}; difference {gap}"
    )
    return replace(
        base,
        service=service,
        quantity=quantity_now - quantity_then,
        amount=gap,
        description=f"{base.description}: adjustment",
        rating={"explanation": explanation, "now": [c.rating for c in now]},
    )


def _num(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class DocumentPlan:
    """What one customer's run issues: at most one invoice and a credit note per invoice."""

    invoice: tuple[Charge, ...]
    credits: tuple[tuple[str, tuple[Charge, ...]], ...]  # (invoice id, credited lines, positive)

    @property
    def empty(self) -> bool:
        return not self.invoice and not self.credits


def plan_documents(diffs: Sequence[Difference], issued: Sequence[IssuedCharge]) -> DocumentPlan:
    """Sort the lines to issue into an invoice and credit notes (see the module text)."""
    invoice: list[Difference] = []
    credits: dict[str, list[Charge]] = {}
    for diff in diffs:
        if diff.charge.amount < 0 and not diff.new and diff.corrects is not None:
            credits.setdefault(diff.corrects, []).append(_credited(diff.charge))
        else:
            invoice.append(diff)
    if sum((d.charge.amount for d in invoice), ZERO) < 0:
        for diff in [d for d in invoice if d.charge.amount < 0]:
            invoice.remove(diff)
            credits.setdefault(_invoice_of_period(diff.charge, issued), []).append(_credited(diff.charge))
    lines = tuple(d.charge for d in invoice)
    if not any(c.amount for c in lines):
        lines = ()
    return DocumentPlan(lines, tuple((doc, tuple(cs)) for doc, cs in credits.items()))


def _credited(charge: Charge) -> Charge:
    """A negative gap as a credit note line: amounts positive, as a refund is stored."""
    return replace(charge, amount=-charge.amount, quantity=-charge.quantity)


def _invoice_of_period(charge: Charge, issued: Sequence[IssuedCharge]) -> str:
    """The latest invoice that billed the charge's subscription and period (or any)."""
    invoices = [line for line in issued if line.kind is DocumentKind.INVOICE]
    same = [
        line
        for line in invoices
        if line.charge.subscription_id == charge.subscription_id and line.charge.period == charge.period
    ]
    found = same or invoices
    if not found:
        raise PricingError(
            f"{charge.key}: a negative charge of {charge.amount} has no invoice to credit"
        )
    return found[-1].document_id
