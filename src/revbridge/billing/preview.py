"""Previews: the upcoming invoice, and what a plan change would cost, without issuing.

Both run the same rating as a billing run (``billing.rating``) and write nothing. The
upcoming invoice is what a run at the end of the customer's current billing period
would issue given what is finalised now (drafts count as not yet issued). A plan change
preview applies the change inside a SAVEPOINT, rates, and rolls the SAVEPOINT back, so
the subscription, its amendments and the audit log are untouched whatever happens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from revbridge.billing.charges import grid_index, grid_period
from revbridge.billing.documents import NewDocument, issued_charges
from revbridge.billing.inputs import BillingInputs, load_inputs
from revbridge.billing.rating import rate_customer
from revbridge.billing.taxes import tax_customer
from revbridge.catalog import subscriptions
from revbridge.catalog.customers import get_customer
from revbridge.catalog.phases import phase_at
from revbridge.domain.period import check_aware
from revbridge.ingest.usage import UsageSource
from revbridge.scope import Scope

__all__ = ["preview_plan_change", "preview_upcoming"]


def next_run_at(inputs: BillingInputs, customer_id: str, moment: datetime) -> datetime:
    """The end of the earliest current billing period among the customer's subscriptions."""
    ends = []
    for terms in inputs.terms.get(customer_id, []):
        phase = phase_at(terms.phases, moment)
        if phase is None:
            continue
        interval = inputs.plans[phase.plan_version_id].plan.interval
        n = grid_index(terms.billing_anchor, interval, terms.timezone, moment)
        ends.append(grid_period(terms.billing_anchor, interval, terms.timezone, n).end)
    return min(ends) if ends else moment


def _document_view(doc: NewDocument, inputs: BillingInputs) -> dict[str, Any]:
    taxed = inputs.taxes.tax(doc.customer["legal_entity_id"], doc.currency, tax_customer(doc.customer),
                             [c.amount for c in doc.lines])
    return {
        "kind": doc.kind.value,
        "currency": doc.currency,
        "credit_of": doc.credit_of,
        "subtotal": taxed.net_total,
        "tax_total": taxed.tax_total,
        "total": taxed.gross_total,
        "tax_note": taxed.note or None,
        "lines": [
            {
                "description": c.description, "charge_key": c.key, "price_code": c.price_code,
                "meter_code": c.meter, "service_start": c.service.start, "service_end": c.service.end,
                "quantity": c.quantity, "unit_price": c.unit_price, "amount": c.amount,
                "tax_rate": t.rate, "tax_amount": t.tax, "tier_breakdown": c.rating,
            }
            for c, t in zip(doc.lines, taxed.lines, strict=True)
        ],
    }


def _rate(scope: Scope, usage: UsageSource, customer_id: str, run_at: datetime | None, moment: datetime) -> dict[str, Any]:
    inputs = load_inputs(scope, [customer_id])
    at = run_at or next_run_at(inputs, customer_id, moment)
    issued = issued_charges(scope, [customer_id])[customer_id]
    bill = rate_customer(inputs, customer_id, usage, at, issued, scope.workspace_id)
    return {"run_at": at, "documents": [_document_view(d, inputs) for d in bill.documents]}


def preview_upcoming(scope: Scope, usage: UsageSource, customer: str, as_of: datetime | None = None) -> dict[str, Any]:
    """What the next billing run (at the end of the current period as of ``as_of``) would issue."""
    cust = get_customer(scope, customer)
    moment = check_aware(as_of or scope.now, "as_of")
    return {"customer": cust["key"], "as_of": moment, **_rate(scope, usage, cust["id"], None, moment)}


def preview_plan_change(
    scope: Scope, usage: UsageSource, subscription_id: str, plan: str, effective_at: datetime
) -> dict[str, Any]:
    """What moving ``subscription_id`` to ``plan`` at ``effective_at`` would issue, changing nothing.

    ``immediate``: what a run right after the change (as of the later of now and the
    change) would issue, e.g. the credit for an unused in-advance fee and the new plan's
    prorated fee; ``upcoming``: the next invoice after that.
    """
    savepoint = scope.conn.begin_nested()
    try:
        sub = subscriptions.change_plan(scope, subscription_id, plan, effective_at)
        at = max(scope.now, check_aware(effective_at, "effective_at"))
        immediate = _rate(scope, usage, sub["customer_id"], at, at)
        upcoming = _rate(scope, usage, sub["customer_id"], None, at)
        return {"subscription": subscription_id, "plan": plan, "effective_at": effective_at,
                "phases": sub["phases"], "immediate": immediate, "upcoming": upcoming}
    finally:
        savepoint.rollback()
