"""Subscriptions: create, change plan, change quantity, cancel; all effective-dated.

Each call appends an amendment and recomputes the phases (``catalog.phases``) in the
same transaction, under a lock on the subscription row, so two concurrent changes
cannot both pass the contradiction checks. Backdated changes are allowed: billing is a
function of the phases, so the next billing run issues the difference.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from revbridge import audit
from revbridge.catalog.customers import get_customer
from revbridge.catalog.phases import Amendment, AmendmentKind, Phase, derive_phases, phase_at
from revbridge.catalog.versions import Status, StoredPlan, current_plan, plan_version
from revbridge.domain.period import period_containing
from revbridge.errors import ConflictError, NotFoundError, ValidationError
from revbridge.ids import new_id
from revbridge.scope import Scope
from revbridge.store.paging import Page, page
from revbridge.store.tables import subscription_amendments, subscription_phases, subscriptions

MAX_QUANTITY = 1_000_000_000


def _quantity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
        raise ValidationError("quantity", f"a whole number from 0 to {MAX_QUANTITY}", value)
    return value


def _instant(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(field, "an instant with a time zone, e.g. 2026-02-10T00:00:00Z", value)
    return value


def _sellable(scope: Scope, plan_code: str, currency: str) -> StoredPlan:
    plan = current_plan(scope, plan_code)
    if plan.status == Status.RETIRED:
        raise ConflictError("plan", "the plan is retired and cannot be sold", plan_code)
    if plan.plan.currency != currency:
        raise ConflictError(
            "plan", f"the plan is priced in {plan.plan.currency}, the customer is billed in {currency}", plan_code
        )
    return plan


def create_subscription(
    scope: Scope,
    customer: str,
    plan: str,
    starts_at: datetime,
    quantity: int = 1,
    billing_anchor: datetime | None = None,
    trial_days: int | None = None,
) -> dict[str, Any]:
    """Subscribe ``customer`` to the current version of ``plan`` from ``starts_at``."""
    starts_at = _instant(starts_at, "starts_at")
    cust = get_customer(scope, customer)
    stored = _sellable(scope, plan, cust["currency"])
    quantity = _quantity(quantity)
    anchor = _instant(billing_anchor, "billing_anchor") if billing_anchor is not None else starts_at
    if anchor < starts_at:
        raise ValidationError("billing_anchor", "cannot be before the subscription starts", anchor.isoformat())
    days = stored.plan.trial_days if trial_days is None else trial_days
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 730:
        raise ValidationError("trial_days", "a whole number of days from 0 to 730", trial_days)
    sub_id = new_id("sub")
    row = {
        "id": sub_id,
        "workspace_id": scope.workspace_id,
        "customer_id": cust["id"],
        "currency": cust["currency"],
        "billing_anchor": anchor,
        "started_at": starts_at,
        "trial_end": starts_at + timedelta(days=days) if days else None,
        "ends_at": None,
        "revision": 0,
        "created_at": scope.now,
        "updated_at": scope.now,
    }
    scope.conn.execute(subscriptions.insert().values(**row))
    _amend(scope, sub_id, Amendment(AmendmentKind.START, starts_at, stored.id, quantity))
    return get_subscription(scope, sub_id)


def _locked(scope: Scope, sub_id: str) -> Any:
    row = scope.conn.execute(
        select(subscriptions)
        .where(subscriptions.c.workspace_id == scope.workspace_id, subscriptions.c.id == sub_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFoundError(f"no subscription {sub_id!r} in this workspace")
    return row


def _amendments(scope: Scope, sub_id: str) -> list[Amendment]:
    rows = scope.conn.execute(
        select(subscription_amendments)
        .where(
            subscription_amendments.c.workspace_id == scope.workspace_id,
            subscription_amendments.c.subscription_id == sub_id,
        )
        .order_by(subscription_amendments.c.effective_at)
    )
    return [Amendment(AmendmentKind(r.kind), r.effective_at, r.plan_version_id, r.quantity) for r in rows]


def _amend(scope: Scope, sub_id: str, amendment: Amendment, note: str | None = None) -> None:
    """Append ``amendment`` and rebuild the phases; refuses contradictions before writing."""
    sub = _locked(scope, sub_id)
    before = _amendments(scope, sub_id)
    phases = derive_phases([*before, amendment], sub.trial_end)
    scope.conn.execute(
        subscription_amendments.insert().values(
            id=new_id("amd"),
            workspace_id=scope.workspace_id,
            subscription_id=sub_id,
            kind=amendment.kind.value,
            effective_at=amendment.effective_at,
            plan_version_id=amendment.plan_version_id,
            quantity=amendment.quantity,
            note=note,
            created_at=scope.now,
        )
    )
    scope.conn.execute(delete(subscription_phases).where(subscription_phases.c.subscription_id == sub_id))
    for seq, phase in enumerate(phases):
        scope.conn.execute(
            subscription_phases.insert().values(
                id=new_id("phs"),
                workspace_id=scope.workspace_id,
                subscription_id=sub_id,
                seq=seq,
                starts_at=phase.starts_at,
                ends_at=phase.ends_at,
                plan_version_id=phase.plan_version_id,
                quantity=phase.quantity,
                trial=phase.trial,
            )
        )
    ends_at = phases[-1].ends_at
    scope.conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == sub_id)
        .values(revision=sub.revision + 1, ends_at=ends_at, updated_at=scope.now)
    )
    audit.record(
        scope,
        f"subscription.{amendment.kind.value}",
        "subscription",
        sub_id,
        detail={
            "effective_at": amendment.effective_at.isoformat(),
            "plan_version_id": amendment.plan_version_id,
            "quantity": amendment.quantity,
        },
    )


def _not_before_start(sub: Any, at: datetime) -> None:
    if at < sub.started_at:
        raise ConflictError(
            "effective_at",
            f"the subscription starts at {sub.started_at.isoformat()}; a change cannot take effect before that",
            at.isoformat(),
        )


def change_plan(scope: Scope, sub_id: str, plan: str, effective_at: datetime) -> dict[str, Any]:
    at = _instant(effective_at, "effective_at")
    sub = _locked(scope, sub_id)
    _not_before_start(sub, at)
    stored = _sellable(scope, plan, sub.currency)
    _amend(scope, sub_id, Amendment(AmendmentKind.CHANGE_PLAN, at, plan_version_id=stored.id))
    return get_subscription(scope, sub_id)


def change_quantity(scope: Scope, sub_id: str, quantity: int, effective_at: datetime) -> dict[str, Any]:
    at = _instant(effective_at, "effective_at")
    sub = _locked(scope, sub_id)
    _not_before_start(sub, at)
    _amend(scope, sub_id, Amendment(AmendmentKind.CHANGE_QUANTITY, at, quantity=_quantity(quantity)))
    return get_subscription(scope, sub_id)


def cancel(
    scope: Scope, sub_id: str, effective_at: datetime | None = None, at_period_end: bool = False
) -> dict[str, Any]:
    """Cancel at an instant, or at the end of the billing period in force at ``scope.now``."""
    sub = _locked(scope, sub_id)
    if at_period_end == (effective_at is not None):
        raise ValidationError("effective_at", "give either an instant or at_period_end, not both or neither")
    if at_period_end:
        at = _period_end(scope, sub)
    else:
        at = _instant(effective_at, "effective_at")
    _not_before_start(sub, at)
    _amend(scope, sub_id, Amendment(AmendmentKind.CANCEL, at))
    return get_subscription(scope, sub_id)


def _period_end(scope: Scope, sub: Any) -> datetime:
    phases = _phases(scope, sub.id)
    current = phase_at(phases, max(scope.now, sub.started_at))
    if current is None:
        raise ConflictError("at_period_end", "the subscription is not active now")
    plan = plan_version(scope, current.plan_version_id).plan
    tz = get_customer(scope, sub.customer_id)["timezone"]
    moment = max(scope.now, sub.billing_anchor)
    return period_containing(moment, sub.billing_anchor, plan.interval, tz).end


def _phases(scope: Scope, sub_id: str) -> list[Phase]:
    rows = scope.conn.execute(
        select(subscription_phases)
        .where(
            subscription_phases.c.workspace_id == scope.workspace_id,
            subscription_phases.c.subscription_id == sub_id,
        )
        .order_by(subscription_phases.c.seq)
    )
    return [Phase(r.starts_at, r.ends_at, r.plan_version_id, r.quantity, r.trial) for r in rows]


def phases_of(scope: Scope, sub_id: str) -> list[Phase]:
    """The subscription's phases (raises ``NotFoundError`` outside this workspace)."""
    _get_row(scope, sub_id)
    return _phases(scope, sub_id)


def _get_row(scope: Scope, sub_id: str) -> Any:
    row = scope.conn.execute(
        select(subscriptions).where(subscriptions.c.workspace_id == scope.workspace_id, subscriptions.c.id == sub_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no subscription {sub_id!r} in this workspace")
    return row


def _phase_view(scope: Scope, phase: Phase, plans: dict[str, StoredPlan]) -> dict[str, Any]:
    if phase.plan_version_id not in plans:
        plans[phase.plan_version_id] = plan_version(scope, phase.plan_version_id)
    stored = plans[phase.plan_version_id]
    return {
        "starts_at": phase.starts_at,
        "ends_at": phase.ends_at,
        "plan": stored.plan.code,
        "plan_version": stored.version,
        "plan_version_id": phase.plan_version_id,
        "quantity": phase.quantity,
        "trial": phase.trial,
    }


def status_at(sub: Any, phases: list[Phase], moment: datetime) -> str:
    if moment < sub.started_at:
        return "scheduled"
    current = phase_at(phases, moment)
    if current is None:
        return "cancelled"
    return "trialing" if current.trial else "active"


def get_subscription(scope: Scope, sub_id: str, as_of: datetime | None = None) -> dict[str, Any]:
    """The subscription with its phases and, ``as_of`` an instant, the phase then in force."""
    row = _get_row(scope, sub_id)
    phases = _phases(scope, sub_id)
    moment = as_of or scope.now
    plans: dict[str, StoredPlan] = {}
    current = phase_at(phases, moment)
    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "customer_key": get_customer(scope, row.customer_id)["key"],
        "currency": row.currency,
        "billing_anchor": row.billing_anchor,
        "started_at": row.started_at,
        "trial_end": row.trial_end,
        "ends_at": row.ends_at,
        "revision": row.revision,
        "as_of": moment,
        "status": status_at(row, phases, moment),
        "current": _phase_view(scope, current, plans) if current else None,
        "phases": [_phase_view(scope, p, plans) for p in phases],
    }


def list_subscriptions(
    scope: Scope, customer: str | None = None, limit: int = 50, cursor: str | None = None
) -> Page:
    where = subscriptions.c.workspace_id == scope.workspace_id
    if customer:
        where = where & (subscriptions.c.customer_id == get_customer(scope, customer)["id"])
    return page(scope.conn, subscriptions, where, limit, cursor)
