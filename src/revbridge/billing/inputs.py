"""Everything a run needs to know about a set of customers, loaded in a few queries.

Why batched: a run over ten thousand subscriptions must not ask the database once per
subscription for its phases and once per phase for its plan. Each table is read once
per chunk of customers, and the pure functions in ``billing.charges`` take it from
there. The usage is not loaded here: it is read through the ``UsageSource`` per phase
segment, since only the source knows how to aggregate it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from revbridge.billing.batch import chunked, one_of
from revbridge.billing.charges import BillingTerms, PlanTerms
from revbridge.billing.coupons import coupons_by_subscription
from revbridge.billing.taxes import TaxBook
from revbridge.catalog.model import Meter, meter_from_dict, plan_from_dict
from revbridge.catalog.phases import Phase
from revbridge.scope import Scope
from revbridge.store.tables import customers, meters, plan_versions, prices, subscription_phases, subscriptions

__all__ = ["BillingInputs", "load_inputs", "workspace_customers"]

@dataclass
class BillingInputs:
    customers: dict[str, dict[str, Any]]
    terms: dict[str, list[BillingTerms]]  # customer id -> its subscriptions
    plans: dict[str, PlanTerms]
    meters: dict[str, Meter]
    taxes: TaxBook


def workspace_customers(scope: Scope) -> list[str]:
    """Ids of the customers that have subscriptions, in id order."""
    rows = scope.conn.execute(
        select(subscriptions.c.customer_id).where(subscriptions.c.workspace_id == scope.workspace_id).distinct()
    )
    return sorted(r.customer_id for r in rows)


def load_inputs(scope: Scope, customer_ids: Sequence[str], taxes: TaxBook | None = None) -> BillingInputs:
    ws, conn = scope.workspace_id, scope.conn
    cust: dict[str, dict[str, Any]] = {}
    subs: list[Any] = []
    for chunk in chunked(list(customer_ids)):
        cust.update({r.id: dict(r._mapping) for r in conn.execute(
            select(customers).where(customers.c.workspace_id == ws, one_of(conn, customers.c.id, chunk))).all()})
        subs.extend(conn.execute(select(subscriptions).where(
            subscriptions.c.workspace_id == ws, one_of(conn, subscriptions.c.customer_id, chunk)
        ).order_by(subscriptions.c.id)).all())
    phases: dict[str, list[Phase]] = {}
    for chunk in chunked([s.id for s in subs]):
        for r in conn.execute(select(subscription_phases).where(
            subscription_phases.c.workspace_id == ws, one_of(conn, subscription_phases.c.subscription_id, chunk)
        ).order_by(subscription_phases.c.subscription_id, subscription_phases.c.seq)).all():
            phases.setdefault(r.subscription_id, []).append(
                Phase(r.starts_at, r.ends_at, r.plan_version_id, r.quantity, r.trial))
    granted = coupons_by_subscription(scope, [s.id for s in subs])
    terms: dict[str, list[BillingTerms]] = {c: [] for c in customer_ids}
    for s in subs:
        terms.setdefault(s.customer_id, []).append(BillingTerms(
            subscription_id=s.id, customer_id=s.customer_id, currency=s.currency, billing_anchor=s.billing_anchor,
            started_at=s.started_at, timezone=cust[s.customer_id]["timezone"],
            phases=tuple(phases.get(s.id, ())), coupons=granted.get(s.id, ()),
        ))
    return BillingInputs(cust, terms, load_plans(scope), load_meters(scope), taxes or TaxBook.load(scope))


def load_plans(scope: Scope) -> dict[str, PlanTerms]:
    """Every plan version of the workspace with its price ids (catalogs are small)."""
    ids: dict[str, dict[str, str]] = {}
    for r in scope.conn.execute(select(prices.c.plan_version_id, prices.c.code, prices.c.id)
                                .where(prices.c.workspace_id == scope.workspace_id)):
        ids.setdefault(r.plan_version_id, {})[r.code] = r.id
    return {
        r.id: PlanTerms(r.id, r.version, plan_from_dict(r.definition), ids.get(r.id, {}))
        for r in scope.conn.execute(select(plan_versions).where(plan_versions.c.workspace_id == scope.workspace_id))
    }


def load_meters(scope: Scope) -> dict[str, Meter]:
    return {r.code: meter_from_dict(r.definition)
            for r in scope.conn.execute(select(meters).where(meters.c.workspace_id == scope.workspace_id))}
