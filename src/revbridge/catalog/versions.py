"""The stored catalog: meters and plan versions as they are now, and what uses them.

A plan version that any subscription phase points at is *used*: it is never edited
again, because invoices already issued (and the billing function that recomputes
them) depend on it. Changes to a used plan make a new version; subscriptions stay on
theirs until amended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from revbridge.catalog.model import Meter, Plan, meter_from_dict, plan_from_dict
from revbridge.errors import NotFoundError
from revbridge.scope import Scope
from revbridge.store.tables import meters, plan_versions, prices, subscription_phases


class Status:
    ACTIVE = "active"
    RETIRED = "retired"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class StoredMeter:
    id: str
    meter: Meter
    status: str
    content_hash: str


@dataclass(frozen=True)
class StoredPlan:
    id: str
    version: int
    plan: Plan
    status: str
    content_hash: str
    used: bool


def stored_meters(scope: Scope) -> dict[str, StoredMeter]:
    rows = scope.conn.execute(select(meters).where(meters.c.workspace_id == scope.workspace_id))
    return {r.code: StoredMeter(r.id, meter_from_dict(r.definition), r.status, r.content_hash) for r in rows}


def used_plan_version_ids(scope: Scope) -> set[str]:
    rows = scope.conn.execute(
        select(subscription_phases.c.plan_version_id)
        .where(subscription_phases.c.workspace_id == scope.workspace_id)
        .distinct()
    )
    return {r.plan_version_id for r in rows}


def latest_plans(scope: Scope) -> dict[str, StoredPlan]:
    """The newest version of every plan code, whatever its status."""
    newest = (
        select(plan_versions.c.plan_code, func.max(plan_versions.c.version).label("version"))
        .where(plan_versions.c.workspace_id == scope.workspace_id)
        .group_by(plan_versions.c.plan_code)
        .subquery()
    )
    rows = scope.conn.execute(
        select(plan_versions).join(
            newest,
            (plan_versions.c.plan_code == newest.c.plan_code) & (plan_versions.c.version == newest.c.version),
        ).where(plan_versions.c.workspace_id == scope.workspace_id)
    ).all()
    used = used_plan_version_ids(scope)
    return {r.plan_code: _stored_plan(r, used) for r in rows}


def _stored_plan(row: Any, used: set[str]) -> StoredPlan:
    return StoredPlan(row.id, row.version, plan_from_dict(row.definition), row.status, row.content_hash, row.id in used)


def plan_version(scope: Scope, plan_version_id: str) -> StoredPlan:
    row = scope.conn.execute(
        select(plan_versions).where(
            plan_versions.c.workspace_id == scope.workspace_id, plan_versions.c.id == plan_version_id
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no plan version {plan_version_id!r} in this workspace")
    return _stored_plan(row, used_plan_version_ids(scope))


def current_plan(scope: Scope, code: str) -> StoredPlan:
    """The version of plan ``code`` that new subscriptions get (the newest, if active)."""
    found = latest_plans(scope).get(code)
    if found is None:
        raise NotFoundError(f"no plan {code!r} in this workspace's catalog")
    return found


def plan_versions_of(scope: Scope, code: str) -> list[StoredPlan]:
    rows = scope.conn.execute(
        select(plan_versions)
        .where(plan_versions.c.workspace_id == scope.workspace_id, plan_versions.c.plan_code == code)
        .order_by(plan_versions.c.version)
    ).all()
    if not rows:
        raise NotFoundError(f"no plan {code!r} in this workspace's catalog")
    used = used_plan_version_ids(scope)
    return [_stored_plan(r, used) for r in rows]


def price_ids(scope: Scope, plan_version_id: str) -> dict[str, str]:
    """Price code -> price id for one plan version (invoice lines point at price ids)."""
    rows = scope.conn.execute(
        select(prices.c.code, prices.c.id).where(
            prices.c.workspace_id == scope.workspace_id, prices.c.plan_version_id == plan_version_id
        )
    )
    return {r.code: r.id for r in rows}
