"""Invoices and credit notes: drafts, finalisation, credits and voids.

Lifecycle: ``draft`` -> ``finalized`` -> ``void``. A draft is editable (one-off lines,
notes) and has no number; finalisation gives it the next gapless number of its legal
entity, freezes it, and in the same transaction enqueues the outbox job that delivers
it (``invoice.finalized`` / ``credit_note.finalized``). A finalised document is never
edited again (principle 1): a correction is a new document. Voiding an invoice issues a
credit note for the whole of it and marks the invoice ``void``; only an invoice no
credit note has touched yet can be voided (credit the rest by hand otherwise).

Lines written by billing runs carry a charge key (``source`` ``billing``); lines and
credit notes written by hand carry none (``source`` ``manual``), so billing runs leave
them out of the difference: a goodwill credit or a void stays what finance decided.

Totals: the tax of a document is computed over its lines as Odoo does
(``billing.taxes``); ``subtotal`` is net, ``total`` gross. ``amount_paid`` and
``amount_due`` are kept for payments: an invoice is due its total when finalised; a
credit note is due nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import String, delete, func, select, type_coerce, update

from revbridge import audit
from revbridge.billing.batch import chunked, one_of
from revbridge.billing.charges import Charge
from revbridge.billing.difference import DocumentKind, IssuedCharge
from revbridge.billing.numbering import NumberAllocator
from revbridge.billing.state import advance_billed_through, advance_many, lock_customers
from revbridge.billing.tables import document_lines, documents
from revbridge.billing.taxes import TaxBook, tax_customer
from revbridge.catalog.customers import get_customer
from revbridge.domain.money import D, quantum, round_money
from revbridge.domain.period import Period
from revbridge.errors import ConflictError, NotFoundError, ValidationError
from revbridge.ids import new_id
from revbridge.outbox.delivery import deliver, deliver_many
from revbridge.scope import Scope
from revbridge.store.paging import Page, page
from revbridge.store.tables import customers

__all__ = [
    "DocumentState",
    "LineSource",
    "NewDocument",
    "add_line",
    "create_draft",
    "credit_invoice",
    "finalize_document",
    "get_document",
    "issued_charges",
    "list_documents",
    "set_notes",
    "void_invoice",
    "write_document",
]

ZERO = Decimal(0)
_SECOND = timedelta(seconds=1)  # the span of a one-off line: the instant it was added


class DocumentState(str, Enum):
    DRAFT = "draft"
    FINALIZED = "finalized"
    VOID = "void"


class LineSource(str, Enum):
    BILLING = "billing"
    MANUAL = "manual"


@dataclass(frozen=True)
class NewDocument:
    """A document about to be written: its header facts and its lines."""

    kind: DocumentKind
    customer: dict[str, Any]
    currency: str
    lines: tuple[Charge, ...]
    source: LineSource = LineSource.BILLING
    credit_of: str | None = None
    reason: str | None = None
    billing_run_id: str | None = None


# --- writing -------------------------------------------------------------------------


def _line_row(scope: Scope, document_id: str, seq: int, charge: Charge, source: LineSource,
              tax_rate: Decimal, tax_amount: Decimal) -> dict[str, Any]:
    return {
        "id": new_id("dl"),
        "workspace_id": scope.workspace_id,
        "document_id": document_id,
        "seq": seq,
        "source": source.value,
        "kind": charge.kind,
        "description": charge.description,
        "charge_key": charge.key if source is LineSource.BILLING else None,
        "subscription_id": charge.subscription_id or None,
        "plan_version_id": charge.plan_version_id,
        "price_id": charge.price_id,
        "price_code": charge.price_code or None,
        "meter_code": charge.meter,
        "period_start": charge.period.start,
        "period_end": charge.period.end,
        "service_start": charge.service.start,
        "service_end": charge.service.end,
        "due_at": charge.due_at,
        "quantity": charge.quantity,
        "unit_price": charge.unit_price,
        "amount": charge.amount,
        "tax_rate": tax_rate,
        "tax_amount": tax_amount,
        "tier_breakdown": charge.rating or None,
        "revenue_rule": charge.revenue_rule,
        "correlation_id": charge.correlation_id or None,
    }


def _build(scope: Scope, doc: NewDocument, book: TaxBook, finalize_after: datetime | None = None
           ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The rows of a new draft: the document with its tax totals, and its lines."""
    doc_id = new_id("doc")  # one prefix for both kinds: id order is creation order
    entity_id = doc.customer["legal_entity_id"]
    taxed = book.tax(entity_id, doc.currency, tax_customer(doc.customer), (c.amount for c in doc.lines))
    lines = [
        _line_row(scope, doc_id, seq, charge, doc.source, line.rate, line.tax)
        for seq, (charge, line) in enumerate(zip(doc.lines, taxed.lines, strict=True), start=1)
    ]
    row = {
        "id": doc_id, "workspace_id": scope.workspace_id, "kind": doc.kind.value,
        "state": DocumentState.DRAFT.value, "source": doc.source.value, "number": None,
        "legal_entity_id": entity_id, "customer_id": doc.customer["id"], "currency": doc.currency,
        "credit_of": doc.credit_of, "billing_run_id": doc.billing_run_id, "reason": doc.reason, "notes": None,
        "tax_note": taxed.note or None, "subtotal": taxed.net_total, "tax_total": taxed.tax_total,
        "total": taxed.gross_total, "amount_paid": ZERO, "amount_due": ZERO, "finalize_after": finalize_after,
        "finalized_at": None, "voided_at": None, "created_at": scope.now, "updated_at": scope.now,
    }
    return row, lines


def write_document(scope: Scope, doc: NewDocument, book: TaxBook, finalize_after: datetime | None = None) -> str:
    """Insert ``doc`` as a draft with its lines and tax; returns its id."""
    row, lines = _build(scope, doc, book, finalize_after)
    scope.conn.execute(documents.insert(), [row])
    if lines:
        scope.conn.execute(document_lines.insert(), lines)
    return str(row["id"])


def issue_documents(scope: Scope, new: Sequence[NewDocument], book: TaxBook, numbers: NumberAllocator,
                    *, locked: bool = False) -> list[dict[str, Any]]:
    """Write ``new`` already finalised, in bulk: a billing run's path when there is no grace period.

    The same facts as ``write_document`` then ``finalize`` for each, in a handful of
    statements: numbers in order, delivery enqueued per document, the customers' credit
    applied and ``billed_through`` advanced once per customer. ``locked``: the caller
    (a run) holds the customers' state rows already. Returns the rows written.
    """
    rows: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for doc in new:
        row, doc_lines = _build(scope, doc, book)
        _refuse_negative(row["kind"], row["total"])
        row.update(state=DocumentState.FINALIZED.value, finalized_at=scope.now,
                   number=numbers.next(row["legal_entity_id"], row["kind"], scope.now.year),
                   amount_due=row["total"] if row["kind"] == DocumentKind.INVOICE.value else ZERO)
        rows.append(row)
        lines.extend(doc_lines)
    if not rows:
        return rows
    scope.conn.execute(documents.insert(), rows)
    if lines:
        scope.conn.execute(document_lines.insert(), lines)
    deliver_many(scope, [(f"{row['kind']}.finalized", row["id"], f"customer:{row['customer_id']}",
                          {"document_id": row["id"]}, row["legal_entity_id"]) for row in rows])
    from revbridge.payments.service import settle_many  # payments reads documents; imported late

    settle_many(scope, [(r["customer_id"], r["currency"]) for r in rows])
    owner = {r["id"]: r["customer_id"] for r in rows}
    through: dict[str, datetime] = {}
    for line in lines:
        if line["source"] == LineSource.BILLING.value:
            customer_id = owner[line["document_id"]]
            through[customer_id] = max(through.get(customer_id, line["due_at"]), line["due_at"])
    if not locked:
        lock_customers(scope, list(through))  # creates missing rows too
    advance_many(scope, through)
    return rows


def _refuse_negative(kind: str, total: Decimal) -> None:
    if kind == DocumentKind.INVOICE.value and total < 0:
        raise ConflictError("total", "an invoice cannot be negative; issue a credit note instead", str(total))


def _announce(scope: Scope, kind: str, document_id: str, customer_id: str, legal_entity_id: str) -> None:
    """Enqueue the document's delivery to every sink, in the finalising transaction."""
    event = f"{kind}.finalized"
    deliver(scope, event, document_id, f"customer:{customer_id}", {"document_id": document_id}, legal_entity_id)


def _settle(scope: Scope, customer_id: str, currency: str) -> None:
    from revbridge.payments.service import settle  # payments reads documents; imported late to stay acyclic

    settle(scope, customer_id, currency)  # credit on hand pays it; a credit note settles its invoice


def append_lines(scope: Scope, document_id: str, charges: Sequence[Charge], source: LineSource, book: TaxBook) -> None:
    """Add lines to a draft and recompute its tax."""
    doc = _draft(scope, document_id)
    last = scope.conn.execute(
        select(func.max(document_lines.c.seq)).where(document_lines.c.document_id == document_id)
    ).scalar() or 0
    rows = [_line_row(scope, document_id, last + i, c, source, ZERO, ZERO) for i, c in enumerate(charges, start=1)]
    if rows:
        scope.conn.execute(document_lines.insert(), rows)
    retax(scope, doc, book)


def retax(scope: Scope, doc: Any, book: TaxBook) -> None:
    """Recompute every line's tax and the document's totals (drafts only)."""
    lines = scope.conn.execute(
        select(document_lines.c.id, document_lines.c.amount)
        .where(document_lines.c.document_id == doc.id).order_by(document_lines.c.seq)
    ).all()
    customer = _customer_row(scope, doc.customer_id)
    taxed = book.tax(doc.legal_entity_id, doc.currency, tax_customer(customer), [r.amount for r in lines])
    for row, line in zip(lines, taxed.lines, strict=True):
        scope.conn.execute(update(document_lines).where(document_lines.c.id == row.id)
                           .values(tax_rate=line.rate, tax_amount=line.tax))
    scope.conn.execute(update(documents).where(documents.c.id == doc.id).values(
        subtotal=taxed.net_total, tax_total=taxed.tax_total, total=taxed.gross_total,
        tax_note=taxed.note or None, updated_at=scope.now))


def delete_billing_lines(scope: Scope, document_ids: Sequence[str]) -> None:
    """Drop the generated lines of drafts a run is about to regenerate."""
    if document_ids:
        scope.conn.execute(delete(document_lines).where(
            document_lines.c.document_id.in_(document_ids), document_lines.c.source == LineSource.BILLING.value))


def delete_draft(scope: Scope, document_id: str) -> None:
    scope.conn.execute(delete(document_lines).where(document_lines.c.document_id == document_id))
    scope.conn.execute(delete(documents).where(documents.c.id == document_id))


def finalize(scope: Scope, document_id: str, numbers: NumberAllocator, book: TaxBook | None = None) -> str:
    """Number and freeze a draft, enqueue its delivery; returns the number.

    ``book`` recomputes the tax first (a draft edited by hand); a run passes none, as
    it has just computed it. The caller flushes ``numbers`` before committing.
    """
    doc = _draft(scope, document_id)
    if book is not None:
        retax(scope, doc, book)
        doc = _draft(scope, document_id)
    _refuse_negative(doc.kind, doc.total)
    number = numbers.next(doc.legal_entity_id, doc.kind, scope.now.year)
    due = doc.total if doc.kind == DocumentKind.INVOICE.value else ZERO
    scope.conn.execute(update(documents).where(documents.c.id == document_id).values(
        state=DocumentState.FINALIZED.value, number=number, finalized_at=scope.now, finalize_after=None,
        amount_due=due - doc.amount_paid, updated_at=scope.now))
    _announce(scope, doc.kind, document_id, doc.customer_id, doc.legal_entity_id)
    _settle(scope, doc.customer_id, doc.currency)
    last_due = scope.conn.execute(select(func.max(document_lines.c.due_at)).where(
        document_lines.c.document_id == document_id, document_lines.c.source == LineSource.BILLING.value)).scalar()
    if last_due is not None:
        advance_billed_through(scope, doc.customer_id, last_due)
    return number


# --- reading -------------------------------------------------------------------------


def _row(scope: Scope, id_or_number: str) -> Any:
    row = scope.conn.execute(select(documents).where(
        documents.c.workspace_id == scope.workspace_id,
        (documents.c.id == id_or_number) | (documents.c.number == id_or_number),
    )).first()
    if row is None:
        raise NotFoundError(f"no invoice or credit note {id_or_number!r} in this workspace")
    return row


def _draft(scope: Scope, document_id: str) -> Any:
    row = _row(scope, document_id)
    if row.state != DocumentState.DRAFT.value:
        raise ConflictError("state", f"the document is {row.state}; only drafts can change", row.number or row.id)
    return row


def _customer_row(scope: Scope, customer_id: str) -> dict[str, Any]:
    row = scope.conn.execute(select(customers).where(customers.c.id == customer_id)).one()
    return dict(row._mapping)


_MONEY = ("subtotal", "tax_total", "total", "amount_paid", "amount_due", "amount", "tax_amount")
_NUMBERS = ("quantity", "unit_price", "tax_rate")


def _plain(value: Decimal) -> Decimal:
    """A stored decimal without the backend's trailing zeros (PostgreSQL keeps 12 places)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def _shown(row: Any, currency: str) -> dict[str, Any]:
    """A row for the faces: money at the currency's minor unit, other numbers plain."""
    out = dict(row._mapping)
    for name in ("workspace_id", "document_id"):
        out.pop(name, None)
    for name in _MONEY:
        if out.get(name) is not None:
            out[name] = out[name].quantize(quantum(currency))
    for name in _NUMBERS:
        if out.get(name) is not None:
            out[name] = _plain(out[name])
    return out


def get_document(scope: Scope, id_or_number: str) -> dict[str, Any]:
    """A document with its lines and the credit notes that reference it."""
    row = _row(scope, id_or_number)
    out = _shown(row, row.currency)
    out["lines"] = [_shown(r, row.currency) for r in scope.conn.execute(
        select(document_lines).where(document_lines.c.document_id == row.id).order_by(document_lines.c.seq))]
    out["credit_notes"] = [
        {"id": r.id, "number": r.number, "state": r.state, "total": r.total.quantize(quantum(r.currency))}
        for r in scope.conn.execute(select(documents).where(
            documents.c.workspace_id == scope.workspace_id, documents.c.credit_of == row.id).order_by(documents.c.id))
    ]
    out["customer_key"] = scope.conn.execute(
        select(customers.c.key).where(customers.c.id == row.customer_id)).scalar_one()
    return out


def list_documents(scope: Scope, customer: str | None = None, kind: str | None = None,
                   state: str | None = None, limit: int = 50, cursor: str | None = None) -> Page:
    where = documents.c.workspace_id == scope.workspace_id
    if customer is not None:
        where = where & (documents.c.customer_id == get_customer(scope, customer)["id"])
    if kind is not None:
        if kind not in {k.value for k in DocumentKind}:
            raise ValidationError("kind", "invoice or credit_note", kind)
        where = where & (documents.c.kind == kind)
    if state is not None:
        if state not in {s.value for s in DocumentState}:
            raise ValidationError("state", "draft, finalized or void", state)
        where = where & (documents.c.state == state)
    return page(scope.conn, documents, where, limit, cursor)


def _charge_of(row: Any) -> Charge:
    return Charge(
        key=row.charge_key, kind=row.kind, subscription_id=row.subscription_id or "",
        plan_version_id=row.plan_version_id, price_id=row.price_id, price_code=row.price_code or "",
        meter=row.meter_code, period=Period(row.period_start, row.period_end),
        service=Period(row.service_start, row.service_end), due_at=row.due_at, quantity=row.quantity,
        unit_price=row.unit_price, amount=row.amount, description=row.description,
        revenue_rule=row.revenue_rule or "ratable", correlation_id=row.correlation_id or "",
        rating=row.tier_breakdown or {},
    )


# What the difference needs of an issued line: not its rating (an adjustment states its
# own), which would cost a JSON parse per line on every run. Instants are read raw and
# parsed here, once per distinct value: lines of a run share a handful of period bounds
# and due dates, and on SQLite each is ISO text that the column type would parse again
# for every row.
_INSTANTS = ("period_start", "period_end", "service_start", "service_end", "due_at")
_ISSUED_COLUMNS = [
    type_coerce(c, String).label(c.name) if c.name in _INSTANTS else c
    for c in document_lines.c
    if c.name not in ("tier_breakdown", "workspace_id", "id")
]


class _Instants:
    """Raw instants (ISO text on SQLite, aware datetimes on PostgreSQL) to UTC instants and
    periods, each distinct value converted once per read."""

    def __init__(self) -> None:
        self._moments: dict[Any, datetime] = {}
        self._periods: dict[tuple[Any, Any], Period] = {}

    def moment(self, raw: Any) -> datetime:
        found = self._moments.get(raw)
        if found is None:
            found = datetime.fromisoformat(raw) if isinstance(raw, str) else raw.astimezone(UTC)
            self._moments[raw] = found
        return found

    def period(self, start: Any, end: Any) -> Period:
        found = self._periods.get((start, end))
        if found is None:
            found = self._periods[(start, end)] = Period(self.moment(start), self.moment(end))
        return found


def _issued_charge(row: Any, instants: _Instants) -> Charge:
    return Charge(
        key=row.charge_key, kind=row.kind, subscription_id=row.subscription_id or "",
        plan_version_id=row.plan_version_id, price_id=row.price_id, price_code=row.price_code or "",
        meter=row.meter_code, period=instants.period(row.period_start, row.period_end),
        service=instants.period(row.service_start, row.service_end), due_at=instants.moment(row.due_at),
        quantity=row.quantity, unit_price=row.unit_price, amount=row.amount, description=row.description,
        revenue_rule=row.revenue_rule or "ratable", correlation_id=row.correlation_id or "",
    )


def issued_charges(scope: Scope, customer_ids: Iterable[str]) -> dict[str, list[IssuedCharge]]:
    """Finalised billing lines per customer, in finalisation order (read under the lock)."""
    ids = list(customer_ids)
    out: dict[str, list[IssuedCharge]] = {c: [] for c in ids}
    instants = _Instants()
    kinds = {k.value: k for k in DocumentKind}
    for chunk in chunked(ids):
        rows = scope.conn.execute(
            select(*_ISSUED_COLUMNS, documents.c.customer_id, documents.c.kind.label("doc_kind"))
            .join(documents, documents.c.id == document_lines.c.document_id)
            .where(
                documents.c.workspace_id == scope.workspace_id,
                one_of(scope.conn, documents.c.customer_id, chunk),
                documents.c.state != DocumentState.DRAFT.value,
                document_lines.c.source == LineSource.BILLING.value,
            )
            .order_by(documents.c.customer_id, documents.c.finalized_at, documents.c.id, document_lines.c.seq)
        ).all()  # fetched at once: row by row costs more than the rows themselves
        for r in rows:
            out[r.customer_id].append(IssuedCharge(_issued_charge(r, instants), r.document_id, kinds[r.doc_kind]))
    return out


# --- by hand -------------------------------------------------------------------------


def create_draft(scope: Scope, customer: str, notes: str | None = None) -> dict[str, Any]:
    """An empty draft invoice for one-off charges, in the customer's currency."""
    cust = get_customer(scope, customer)
    book = TaxBook.load(scope)
    doc_id = write_document(scope, NewDocument(DocumentKind.INVOICE, cust, cust["currency"], (),
                                               source=LineSource.MANUAL), book)
    if notes is not None:
        set_notes(scope, doc_id, notes)
    audit.record(scope, "invoice.create", "document", doc_id)
    return get_document(scope, doc_id)


def _manual_charge(description: str, quantity: Decimal, unit_price: Decimal, amount: Decimal, at: datetime,
                   kind: str = "manual", service: Period | None = None) -> Charge:
    span = service or Period(at, at + _SECOND)
    return Charge(
        key="", kind=kind, subscription_id="", plan_version_id=None, price_id=None, price_code="",
        meter=None, period=span, service=span, due_at=at, quantity=quantity, unit_price=unit_price,
        amount=amount, description=description, revenue_rule="immediate",
    )


def add_line(scope: Scope, document_id: str, description: str, unit_price: Any,
             quantity: Any = 1) -> dict[str, Any]:
    """A one-off charge on a draft: ``quantity`` x ``unit_price``, rounded at the line."""
    if not isinstance(description, str) or not description.strip():
        raise ValidationError("description", "is required", description)
    price, qty = _decimal("unit_price", unit_price), _decimal("quantity", quantity)
    doc = _draft(scope, document_id)
    amount = round_money(price * qty, doc.currency)
    append_lines(scope, doc.id, [_manual_charge(description, qty, price, amount, scope.now)],
                 LineSource.MANUAL, TaxBook.load(scope))
    audit.record(scope, "invoice.add_line", "document", doc.id, detail={"description": description,
                                                                         "amount": str(amount)})
    return get_document(scope, doc.id)


def _decimal(field: str, value: Any) -> Decimal:
    try:
        return D(value if not isinstance(value, float) else "x")
    except (ValueError, TypeError):
        raise ValidationError(field, "a decimal number written as text, e.g. \"12.50\"", value) from None


def set_notes(scope: Scope, document_id: str, notes: str) -> dict[str, Any]:
    doc = _draft(scope, document_id)
    scope.conn.execute(update(documents).where(documents.c.id == doc.id).values(notes=notes, updated_at=scope.now))
    return get_document(scope, doc.id)


def finalize_document(scope: Scope, document_id: str) -> dict[str, Any]:
    """Finalise a draft by hand (tax recomputed, number assigned, delivery enqueued)."""
    doc = _draft(scope, document_id)
    numbers = NumberAllocator(scope)
    finalize(scope, doc.id, numbers, TaxBook.load(scope))
    numbers.flush()
    audit.record(scope, f"{doc.kind}.finalize", "document", doc.id)
    return get_document(scope, doc.id)


def _finalized_invoice(scope: Scope, invoice_id: str) -> Any:
    row = _row(scope, invoice_id)
    if row.kind != DocumentKind.INVOICE.value:
        raise ConflictError("invoice", "only an invoice can be credited or voided", row.number or row.id)
    if row.state != DocumentState.FINALIZED.value:
        raise ConflictError("state", f"the invoice is {row.state}; only a finalised invoice can be credited",
                            row.number or row.id)
    return row


def _credited_total(scope: Scope, invoice_id: str) -> Decimal:
    """What the invoice's issued credit notes add up to, summed here in ``Decimal``.

    Not in SQL: SQLite stores amounts as text, and its ``SUM`` would add them as floats.
    """
    totals = scope.conn.execute(select(documents.c.total).where(
        documents.c.credit_of == invoice_id, documents.c.state != DocumentState.DRAFT.value)).scalars()
    return sum(totals, ZERO)


def credit_invoice(scope: Scope, invoice_id: str, reason: str, amount: Any = None) -> dict[str, Any]:
    """A credit note by hand: ``amount`` (a line, taxed like the invoice) or the whole invoice."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("reason", "say why the invoice is credited", reason)
    invoice = _finalized_invoice(scope, invoice_id)
    remaining = invoice.total - _credited_total(scope, invoice.id)
    if amount is None:
        if remaining != invoice.total:
            raise ConflictError("amount", "the invoice was already partly credited; credit an amount instead",
                                str(remaining))
        lines = tuple(_charge_of(r) for r in scope.conn.execute(
            select(document_lines).where(document_lines.c.document_id == invoice.id).order_by(document_lines.c.seq)))
    else:
        value = _decimal("amount", amount)
        if value <= 0 or round_money(value, invoice.currency) != value:
            raise ValidationError("amount", f"a positive amount in {invoice.currency}", str(amount))
        at = scope.now
        lines = (_manual_charge(f"Credit: {reason}", Decimal(1), value, value, at),)
    book = TaxBook.load(scope)
    cust = _customer_row(scope, invoice.customer_id)
    doc_id = write_document(scope, NewDocument(DocumentKind.CREDIT_NOTE, cust, invoice.currency, lines,
                                               source=LineSource.MANUAL, credit_of=invoice.id, reason=reason), book)
    total = scope.conn.execute(select(documents.c.total).where(documents.c.id == doc_id)).scalar_one()
    if total > remaining:
        raise ConflictError("amount", f"the credit ({total}) exceeds what the invoice still carries ({remaining})",
                            str(amount))
    numbers = NumberAllocator(scope)
    finalize(scope, doc_id, numbers)
    numbers.flush()
    audit.record(scope, "credit_note.issue", "document", doc_id, detail={"invoice": invoice.id, "reason": reason})
    return get_document(scope, doc_id)


def void_invoice(scope: Scope, invoice_id: str, reason: str) -> dict[str, Any]:
    """Void a finalised invoice: a full credit note, then the invoice marked ``void``."""
    invoice = _finalized_invoice(scope, invoice_id)
    note = credit_invoice(scope, invoice.id, reason)
    scope.conn.execute(update(documents).where(documents.c.id == invoice.id).values(
        state=DocumentState.VOID.value, voided_at=scope.now, amount_due=ZERO, updated_at=scope.now))
    audit.record(scope, "invoice.void", "document", invoice.id, detail={"credit_note": note["id"], "reason": reason})
    out = get_document(scope, invoice.id)
    out["voided_by"] = note
    return out

