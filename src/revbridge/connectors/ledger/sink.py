"""The ``ledger`` sink: outbox handlers that book documents and payments.

They run inside the job's completing transaction (``on_in_transaction``), so the entry
and the job's ``done`` commit together: exactly once, with no idempotency table of its
own beyond the entry's unique key. Each re-reads the entity, as every handler does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from revbridge.billing.tables import document_lines, documents
from revbridge.config import Settings
from revbridge.connectors.ledger.book import write_entry
from revbridge.connectors.ledger.posting import Unbalanced, document_entry, payment_entry
from revbridge.outbox.failures import PermanentError
from revbridge.outbox.handlers import Job, Registry
from revbridge.payments.tables import payments
from revbridge.scope import Scope

SINK = "ledger"


def book_document(scope: Scope, job: Job) -> None:
    doc = scope.conn.execute(select(documents).where(
        documents.c.workspace_id == scope.workspace_id, documents.c.id == job.payload["document_id"])).first()
    if doc is None:
        raise PermanentError(f"document {job.payload['document_id']} does not exist")
    if doc.state not in ("finalized", "void"):
        raise PermanentError(f"document {doc.id} is {doc.state}; only finalised documents are booked")
    lines = scope.conn.execute(select(document_lines).where(document_lines.c.document_id == doc.id).order_by(
        document_lines.c.seq)).all()
    row: dict[str, Any] = dict(doc._mapping)
    row["correlation_id"] = job.correlation_id
    try:
        entry = document_entry(row, [dict(line._mapping) for line in lines])
    except Unbalanced as exc:
        raise PermanentError(str(exc)) from None
    write_entry(scope, job.key, doc.id, entry)


def book_payment(scope: Scope, job: Job) -> None:
    row = scope.conn.execute(select(payments).where(
        payments.c.workspace_id == scope.workspace_id, payments.c.id == job.payload["payment_id"])).first()
    if row is None:
        raise PermanentError(f"payment {job.payload['payment_id']} does not exist")
    write_entry(scope, job.key, row.id, payment_entry(dict(row._mapping)))


def register(registry: Registry, settings: Settings) -> None:
    """Provider for ``outbox.sinks``: the ledger handles documents and payments."""
    for kind in ("invoice.finalized", "credit_note.finalized"):
        registry.on_in_transaction(SINK, kind, book_document)
    for kind in ("payment.recorded", "payment.refunded"):
        registry.on_in_transaction(SINK, kind, book_payment)
