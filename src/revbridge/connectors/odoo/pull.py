"""Bring what happened in Odoo back into revbridge: payments made there, and reversals.

A payment registered by the accountant in Odoo against a revbridge invoice becomes a
revbridge payment (source ``odoo``, reference the Odoo payment id and invoice), so
both sides agree on what is open. Payments revbridge itself sent carry the ``[rb:``
tag in their memo and are skipped, or they would be counted twice. What revbridge
cannot apply by itself (an outbound refund, an invoice cancelled or reversed in Odoo)
becomes an exception for a person. The watermark is stored only after all of it is
applied, in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from revbridge.billing.tables import documents
from revbridge.connectors.odoo.values import PullResult, PullState, Watermark
from revbridge.ids import new_id
from revbridge.ingest.tables import exceptions
from revbridge.payments.service import record_payment
from revbridge.scope import Scope
from revbridge.store.tables import workspaces
from revbridge.workspaces import workspace_settings

STATE_KEY = "odoo_pull_state"
OWN_TAG = "[rb:"


@dataclass
class PullSummary:
    payments_recorded: int = 0
    skipped_own: int = 0
    for_review: int = 0
    moves_seen: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"payments_recorded": self.payments_recorded, "skipped_own": self.skipped_own,
                "for_review": self.for_review, "moves_seen": self.moves_seen, "notes": self.notes}


def load_state(scope: Scope) -> PullState:
    raw = workspace_settings(scope.conn, scope.workspace_id).get(STATE_KEY)
    if not raw:
        return PullState()
    return PullState(*(Watermark(w["write_date"], frozenset(w["seen"])) for w in (raw["moves"], raw["payments"])))


def save_state(scope: Scope, state: PullState) -> None:
    settings = workspace_settings(scope.conn, scope.workspace_id)
    settings[STATE_KEY] = {name: {"write_date": w.write_date, "seen": sorted(w.seen)}
                           for name, w in (("moves", state.moves), ("payments", state.payments))}
    scope.conn.execute(update(workspaces).where(workspaces.c.id == scope.workspace_id).values(settings=settings))


def _review(scope: Scope, reason: str, origin: str, detail: dict[str, Any], why: str) -> None:
    scope.conn.execute(exceptions.insert().values(
        id=new_id("exc"), workspace_id=scope.workspace_id, kind="odoo_pull", reason=reason, state="open",
        origin=origin, event_source="odoo", event_id=None, raw=json.dumps(detail, default=str),
        problems=[{"field": "odoo", "reason": why}], received_day=scope.now.date(), attempts=0,
        created_at=scope.now, updated_at=scope.now))


def _document(scope: Scope, number: str) -> Any:
    return scope.conn.execute(select(documents).where(
        documents.c.workspace_id == scope.workspace_id, documents.c.number == number)).first()


def apply_pull(scope: Scope, result: PullResult) -> PullSummary:
    """Record Odoo's payments against revbridge invoices; flag what needs a person."""
    summary = PullSummary(moves_seen=len(result.moves))
    for pay in result.payments:
        if pay.memo and OWN_TAG in pay.memo:
            summary.skipped_own += 1
            continue
        if pay.state not in ("posted", "paid", "in_process"):
            continue
        origin = f"odoo:account.payment:{pay.payment_id}"
        if pay.payment_type != "inbound" or not pay.invoice_numbers:
            _review(scope, "odoo_payment", origin, pay.__dict__,
                    "a refund or an unreconciled payment made in Odoo: apply it in revbridge by hand")
            summary.for_review += 1
            continue
        doc = _document(scope, pay.invoice_numbers[0])
        if doc is None:
            _review(scope, "odoo_payment", origin, pay.__dict__, f"no revbridge invoice {pay.invoice_numbers[0]}")
            summary.for_review += 1
            continue
        record_payment(scope, doc.customer_id, pay.amount, currency=pay.currency, reference=str(pay.payment_id),
                       source="odoo", method="odoo", invoice=doc.id, note=pay.payment_name)
        summary.payments_recorded += 1
    for move in result.moves:
        if move.number and move.state == "cancel":
            _review(scope, "odoo_cancelled", f"odoo:account.move:{move.move_id}", move.__dict__,
                    f"{move.number} was cancelled in Odoo; void or credit it in revbridge")
            summary.for_review += 1
    save_state(scope, result.state)
    return summary
