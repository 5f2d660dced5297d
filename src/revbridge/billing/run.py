"""Billing runs: issue, for each customer, the difference between expected and issued.

A run, per customer and inside the customer's lock (``billing.state``):

1. refuses to run as of an instant before what the customer is already billed
   through, unless ``allow_backdated`` (then it still issues only differences);
2. finalises the drafts whose grace period is over, and clears the generated lines of
   the others (they are regenerated below; lines added by hand stay);
3. reads the finalised documents *after* taking the lock, computes the expected
   charges and the difference (``billing.rating``), and writes at most one invoice and
   one credit note per corrected invoice;
4. finalises them at once (no grace period) or leaves them as drafts until the grace
   period has passed; finalisation numbers them and enqueues their delivery in the
   same transaction;
5. tells the usage source which metered periods it invoiced (``mark_billed``).

``run_billing`` works inside the caller's transaction (one ``Scope``), so a test or a
preview can roll it back. ``bill_workspace`` is what the CLI and a scheduler call: it
commits every chunk of customers in its own transaction, so locks are held briefly and
a crash loses at most one chunk's work, which the next run redoes.

A customer that cannot be billed (no price in its currency, no tax rate, ...) gets
nothing issued; a run over one named customer raises the ``PricingError``, a run over
the workspace records it in the summary and goes on with the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from revbridge import audit
from revbridge.billing import documents as docs
from revbridge.billing.batch import prefer_custom_plans
from revbridge.billing.difference import DocumentKind
from revbridge.billing.documents import DocumentState, LineSource, NewDocument
from revbridge.billing.inputs import BillingInputs, load_inputs, workspace_customers
from revbridge.billing.numbering import NumberAllocator
from revbridge.billing.rating import rate_customer
from revbridge.billing.settings import grace_period
from revbridge.billing.state import lock_customers
from revbridge.billing.tables import billing_runs, document_lines, documents
from revbridge.catalog.customers import get_customer
from revbridge.domain.money import quantum
from revbridge.domain.period import Period, check_aware
from revbridge.errors import ConflictError, PricingError
from revbridge.ids import new_id
from revbridge.ingest.rollups import roll_up_all
from revbridge.ingest.usage import UsageSource
from revbridge.scope import Scope, transaction, utcnow

__all__ = ["RunSummary", "UsageFactory", "bill_workspace", "finalize_due", "run_billing"]

Progress = Callable[[int], None]
UsageFactory = Callable[[Scope], UsageSource]
"""A usage source for a transaction (``SqlUsage`` reads through the transaction's connection)."""


@dataclass
class RunSummary:
    """What a run did: documents issued, drafts handled, customers it could not bill."""

    run_id: str
    as_of: datetime
    customers: int = 0
    invoices: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[dict[str, Any]] = field(default_factory=list)
    finalized_drafts: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def issued(self) -> int:
        return len(self.invoices) + len(self.credit_notes)

    def merge(self, other: RunSummary) -> None:
        self.customers += other.customers
        self.invoices += other.invoices
        self.credit_notes += other.credit_notes
        self.drafts += other.drafts
        self.finalized_drafts += other.finalized_drafts
        self.failed += other.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "as_of": self.as_of, "customers": self.customers,
            "invoices": self.invoices, "credit_notes": self.credit_notes, "drafts": self.drafts,
            "finalized_drafts": self.finalized_drafts, "failed": self.failed,
        }


def _targets(scope: Scope, customer: str | None) -> list[str]:
    return [get_customer(scope, customer)["id"]] if customer is not None else workspace_customers(scope)


def _refuse_backdated(scope: Scope, through: dict[str, datetime | None], as_of: datetime) -> None:
    ahead = sorted((c, t) for c, t in through.items() if t is not None and as_of < t)
    if ahead:
        customer, billed = ahead[0]
        key = get_customer(scope, customer)["key"]
        more = f" (and {len(ahead) - 1} more)" if len(ahead) > 1 else ""
        raise ConflictError(
            "as_of",
            f"customer {key}{more} is billed through {billed.isoformat()}; run as of that or later, "
            "or allow a backdated run (it issues only differences)",
            as_of.isoformat(),
        )


def run_billing(
    scope: Scope,
    usage: UsageSource,
    as_of: datetime | None = None,
    customer: str | None = None,
    allow_backdated: bool = False,
    *,
    customer_ids: Sequence[str] | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Bill ``customer`` (id or key), the given ``customer_ids``, or every subscribed customer."""
    as_of = check_aware(as_of or scope.now, "as_of")
    summary = RunSummary(run_id or new_id("run"), as_of)
    ids = sorted(customer_ids) if customer_ids is not None else _targets(scope, customer)
    prefer_custom_plans(scope.conn)
    through = lock_customers(scope, ids)
    if not allow_backdated:
        _refuse_backdated(scope, through, as_of)
    numbers = NumberAllocator(scope)
    grace = grace_period(scope)
    kept = _settle_drafts(scope, ids, numbers, summary)
    inputs = load_inputs(scope, ids)
    issued = docs.issued_charges(scope, ids)
    batch: list[NewDocument] = []
    for customer_id in ids:
        summary.customers += 1
        try:
            bill = rate_customer(inputs, customer_id, usage, as_of, issued[customer_id], scope.workspace_id,
                                 summary.run_id)
        except PricingError as exc:
            if customer is not None:
                raise
            summary.failed.append({"customer": inputs.customers[customer_id]["key"], "error": str(exc)})
            continue
        for doc in bill.documents:
            if grace or (customer_id, doc.kind.value, doc.credit_of) in kept:
                _issue_draft(scope, doc, inputs, kept, grace, summary)
            else:
                batch.append(doc)
        _mark_billed(scope, usage, customer_id, bill.documents)
        if progress is not None:
            progress(1)
    _issue_batch(scope, batch, inputs, numbers, summary)
    numbers.flush()
    if customer_ids is None:
        record_run(scope, summary, customer, allow_backdated)
    return summary


def record_run(scope: Scope, summary: RunSummary, customer: str | None, allow_backdated: bool) -> None:
    counts = {"customers": summary.customers, "invoices": len(summary.invoices),
              "credit_notes": len(summary.credit_notes), "drafts": len(summary.drafts),
              "failed": len(summary.failed)}
    scope.conn.execute(billing_runs.insert().values(
        id=summary.run_id, workspace_id=scope.workspace_id, as_of=summary.as_of, customer_id=customer,
        allow_backdated=allow_backdated, actor=scope.actor, summary=counts, created_at=scope.now))
    audit.record(scope, "billing.run", "billing_run", summary.run_id,
                 detail={"as_of": summary.as_of.isoformat(), **counts})


def _settle_drafts(
    scope: Scope, ids: Sequence[str], numbers: NumberAllocator, summary: RunSummary
) -> dict[tuple[str, str, str | None], str]:
    """Finalise drafts past their grace period; clear the rest for regeneration.

    Returns the drafts kept for reuse (they hold lines added by hand), by customer,
    kind and corrected invoice.
    """
    kept: dict[tuple[str, str, str | None], str] = {}
    if not ids:
        return kept
    rows = scope.conn.execute(select(documents).where(
        documents.c.workspace_id == scope.workspace_id, documents.c.customer_id.in_(ids),
        documents.c.state == DocumentState.DRAFT.value, documents.c.billing_run_id.is_not(None),
    ).order_by(documents.c.id)).all()
    for row in rows:
        if row.finalize_after is not None and row.finalize_after <= scope.now:
            docs.finalize(scope, row.id, numbers, _book_for_drafts(scope))
            summary.finalized_drafts += 1
            continue
        docs.delete_billing_lines(scope, [row.id])
        left = scope.conn.execute(select(document_lines.c.id).where(document_lines.c.document_id == row.id)).first()
        if left is None and not row.notes:
            docs.delete_draft(scope, row.id)
        else:
            kept[(row.customer_id, row.kind, row.credit_of)] = row.id
    return kept


def _book_for_drafts(scope: Scope) -> Any:
    from revbridge.billing.taxes import TaxBook

    return TaxBook.load(scope)


def _entry(doc: NewDocument, doc_id: str) -> dict[str, Any]:
    return {"id": doc_id, "customer": doc.customer["key"], "currency": doc.currency,
            "credit_of": doc.credit_of, "lines": len(doc.lines)}


def _issue_batch(
    scope: Scope, batch: Sequence[NewDocument], inputs: BillingInputs, numbers: NumberAllocator,
    summary: RunSummary,
) -> None:
    """Write and finalise the run's new documents together (no grace period)."""
    rows = docs.issue_documents(scope, batch, inputs.taxes, numbers, locked=True)
    for doc, row in zip(batch, rows, strict=True):
        entry = {**_entry(doc, row["id"]), "number": row["number"],
                 "total": row["total"].quantize(quantum(doc.currency))}
        (summary.invoices if doc.kind is DocumentKind.INVOICE else summary.credit_notes).append(entry)


def _issue_draft(
    scope: Scope,
    doc: NewDocument,
    inputs: BillingInputs,
    kept: dict[tuple[str, str, str | None], str],
    grace: timedelta,
    summary: RunSummary,
) -> None:
    """A document that waits: a new draft for the grace period, or lines on a kept draft."""
    draft = kept.pop((doc.customer["id"], doc.kind.value, doc.credit_of), None)
    if draft is not None:
        docs.append_lines(scope, draft, doc.lines, LineSource.BILLING, inputs.taxes)
        scope.conn.execute(update(documents).where(documents.c.id == draft).values(billing_run_id=summary.run_id))
        doc_id = draft
    else:
        doc_id = docs.write_document(scope, doc, inputs.taxes, scope.now + grace)
    summary.drafts.append(_entry(doc, doc_id))


def _mark_billed(scope: Scope, usage: UsageSource, customer_id: str, written: Sequence[NewDocument]) -> None:
    by_period: dict[Period, set[str]] = {}
    for doc in written:
        for line in doc.lines:
            if line.meter is not None:
                by_period.setdefault(line.service, set()).add(line.meter)
    for period, meter_codes in sorted(by_period.items()):
        usage.mark_billed(scope.workspace_id, customer_id, sorted(meter_codes), period)


def finalize_due(scope: Scope) -> int:
    """Finalise every draft whose grace period is over; returns how many (for a scheduler)."""
    rows = scope.conn.execute(select(documents.c.id, documents.c.customer_id).where(
        documents.c.workspace_id == scope.workspace_id, documents.c.state == DocumentState.DRAFT.value,
        documents.c.finalize_after.is_not(None), documents.c.finalize_after <= scope.now,
    ).order_by(documents.c.customer_id, documents.c.id)).all()
    lock_customers(scope, [r.customer_id for r in rows])
    numbers = NumberAllocator(scope)
    book = _book_for_drafts(scope)
    for row in rows:
        docs.finalize(scope, row.id, numbers, book)
    numbers.flush()
    return len(rows)


def bill_workspace(
    engine: Engine,
    workspace_id: str,
    usage: UsageFactory,
    as_of: datetime | None = None,
    customer: str | None = None,
    allow_backdated: bool = False,
    *,
    actor: str = "billing",
    now: datetime | None = None,
    chunk: int = 250,
    progress: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """A run committed chunk by chunk (the CLI's and a scheduler's entry point).

    ``usage`` makes the usage source for each chunk's transaction.

    ``progress(done, total)`` is called after each customer. The backdating check covers
    every customer before the first chunk is billed, so a refused run issues nothing.
    """
    now = now or utcnow()
    as_of = check_aware(as_of or now, "as_of")
    roll_up_all(engine, workspace_id, now)  # usage read from rollups, not month after month of events
    with transaction(engine, workspace_id, actor, now) as scope:
        ids = _targets(scope, customer)
        prefer_custom_plans(scope.conn)
        if not allow_backdated:
            _refuse_backdated(scope, lock_customers(scope, ids), as_of)
    summary = RunSummary(new_id("run"), as_of)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, len(ids))

    for start in range(0, len(ids), chunk):
        with transaction(engine, workspace_id, actor, now) as scope:
            part = run_billing(scope, usage(scope), as_of, customer, allow_backdated,
                               customer_ids=ids[start:start + chunk], run_id=summary.run_id, progress=tick)
        summary.merge(part)
    with transaction(engine, workspace_id, actor, now) as scope:
        record_run(scope, summary, customer, allow_backdated)
    return summary
