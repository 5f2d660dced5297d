"""Catalog as code: compare a catalog file with the stored catalog, then apply it.

``diff_catalog`` is a pure reading of what ``apply_catalog`` would do, so a person can
review it first (``revbridge catalog diff``). Both run the same planning function, so
the preview cannot disagree with the change. Rules:

- a new meter or plan is created (plans start at version 1);
- a changed plan whose newest version no subscription uses is updated in place;
  a used one gets a new version, and the old one is kept as ``superseded`` for the
  subscriptions on it;
- a meter's billing form (event type, aggregation, property, filters, group-by) cannot
  change once a used plan prices it: past invoices would silently change. That is
  refused with the plans that use it; declare a new meter code instead;
- what the file no longer declares is retired, never deleted: existing subscriptions
  keep billing, new ones are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sqlalchemy import delete, update

from revbridge import audit
from revbridge.catalog.model import (
    Catalog,
    Meter,
    Plan,
    content_hash,
    meter_to_dict,
    plan_to_dict,
    price_to_dict,
)
from revbridge.catalog.versions import (
    Status,
    StoredMeter,
    StoredPlan,
    latest_plans,
    stored_meters,
    used_plan_version_ids,
)
from revbridge.errors import Problem, ValidationErrors
from revbridge.ids import new_id
from revbridge.scope import Scope
from revbridge.store.tables import meters, plan_versions, prices


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"  # in place: nothing uses it yet
    NEW_VERSION = "new_version"
    RETIRE = "retire"
    RESTORE = "restore"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Change:
    kind: str  # "meter" or "plan"
    code: str
    action: Action
    version: int | None = None  # the plan version this leaves current
    fields: tuple[str, ...] = ()  # "path: old -> new" lines
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "action": self.action.value,
            "version": self.version,
            "fields": list(self.fields),
            "line": self.line,
        }


@dataclass(frozen=True)
class CatalogDiff:
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def pending(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is not Action.UNCHANGED)

    def as_dict(self) -> dict[str, Any]:
        return {"changes": [c.as_dict() for c in self.changes], "pending": len(self.pending)}


def field_changes(old: Any, new: Any, path: str = "") -> list[str]:
    """Human lines for every leaf that differs between two canonical forms."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            out += field_changes(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(old, list) and isinstance(new, list) and all(isinstance(x, dict) and "code" in x for x in old + new):
        return field_changes({x["code"]: x for x in old}, {x["code"]: x for x in new}, path)
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out += field_changes(a, b, f"{path}[{i}]")
        return out
    return [] if old == new else [f"{path}: {_short(old)} -> {_short(new)}"]


def _short(value: Any) -> str:
    text = "(none)" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plan_meters(plan: Plan) -> set[str]:
    return {p.meter for p in plan.prices if p.meter}


def _plan_meter_changes(
    catalog: Catalog, stored: dict[str, StoredMeter], plans: dict[str, StoredPlan], used: set[str], scope: Scope
) -> tuple[list[Change], list[Problem]]:
    users = _meter_users(scope, used)
    changes: list[Change] = []
    problems: list[Problem] = []
    declared = {m.code for m in catalog.meters}
    for meter in catalog.meters:
        line = catalog.lines.get(f"meter:{meter.code}")
        old = stored.get(meter.code)
        if old is None:
            changes.append(Change("meter", meter.code, Action.CREATE, line=line))
            continue
        diffs = field_changes(meter_to_dict(old.meter), meter_to_dict(meter))
        billing_changed = old.meter.billing_form() != meter.billing_form()
        if billing_changed and users.get(meter.code):
            problems.append(
                Problem(
                    f"meters.{meter.code}",
                    "cannot change how a meter aggregates once subscriptions are billed on it "
                    f"(used by {', '.join(sorted(users[meter.code]))}); declare a new meter code instead",
                    "; ".join(diffs),
                    source=f"line {line}" if line else None,
                )
            )
            continue
        if old.status == Status.RETIRED:
            changes.append(Change("meter", meter.code, Action.RESTORE, fields=tuple(diffs), line=line))
        elif diffs:
            changes.append(Change("meter", meter.code, Action.UPDATE, fields=tuple(diffs), line=line))
        else:
            changes.append(Change("meter", meter.code, Action.UNCHANGED, line=line))
    for code, old in sorted(stored.items()):
        if code not in declared and old.status != Status.RETIRED:
            changes.append(Change("meter", code, Action.RETIRE))
    return changes, problems


def _meter_users(scope: Scope, used: set[str]) -> dict[str, set[str]]:
    """Meter code -> "plan vN" labels of used plan versions that price it."""
    from sqlalchemy import select

    from revbridge.store.tables import plan_versions as pv

    out: dict[str, set[str]] = {}
    if not used:
        return out
    rows = scope.conn.execute(
        select(pv.c.plan_code, pv.c.version, prices.c.meter_code)
        .join(prices, prices.c.plan_version_id == pv.c.id)
        .where(pv.c.workspace_id == scope.workspace_id, pv.c.id.in_(used), prices.c.meter_code.is_not(None))
    )
    for r in rows:
        out.setdefault(r.meter_code, set()).add(f"{r.plan_code} v{r.version}")
    return out


def _plan_changes(catalog: Catalog, plans: dict[str, StoredPlan]) -> list[Change]:
    changes: list[Change] = []
    declared = {p.code for p in catalog.plans}
    for plan in catalog.plans:
        line = catalog.lines.get(f"plan:{plan.code}")
        old = plans.get(plan.code)
        if old is None:
            changes.append(Change("plan", plan.code, Action.CREATE, version=1, line=line))
            continue
        diffs = tuple(field_changes(plan_to_dict(old.plan), plan_to_dict(plan)))
        if not diffs:
            action = Action.RESTORE if old.status == Status.RETIRED else Action.UNCHANGED
            changes.append(Change("plan", plan.code, action, version=old.version, line=line))
        elif old.used:
            changes.append(Change("plan", plan.code, Action.NEW_VERSION, version=old.version + 1, fields=diffs, line=line))
        else:
            changes.append(Change("plan", plan.code, Action.UPDATE, version=old.version, fields=diffs, line=line))
    for code, old in sorted(plans.items()):
        if code not in declared and old.status != Status.RETIRED:
            changes.append(Change("plan", code, Action.RETIRE, version=old.version))
    return changes


def _plan(scope: Scope, catalog: Catalog) -> tuple[CatalogDiff, dict[str, StoredMeter], dict[str, StoredPlan]]:
    stored = stored_meters(scope)
    plans = latest_plans(scope)
    used = used_plan_version_ids(scope)
    meter_changes, problems = _plan_meter_changes(catalog, stored, plans, used, scope)
    if problems:
        raise ValidationErrors(problems)
    return CatalogDiff(tuple(meter_changes + _plan_changes(catalog, plans))), stored, plans


def diff_catalog(scope: Scope, catalog: Catalog) -> CatalogDiff:
    """What ``apply_catalog`` would do, without doing it."""
    return _plan(scope, catalog)[0]


def apply_catalog(scope: Scope, catalog: Catalog) -> CatalogDiff:
    """Make the stored catalog match ``catalog``, in the caller's transaction."""
    result, stored, plans = _plan(scope, catalog)
    by_meter = {m.code: m for m in catalog.meters}
    by_plan = {p.code: p for p in catalog.plans}
    for change in result.pending:
        if change.kind == "meter":
            _apply_meter(scope, change, by_meter.get(change.code), stored.get(change.code))
        else:
            _apply_plan(scope, change, by_plan.get(change.code), plans.get(change.code))
        audit.record(scope, f"catalog.{change.kind}.{change.action.value}", change.kind, change.code,
                     detail={"version": change.version, "fields": list(change.fields)})
    return result


def _apply_meter(scope: Scope, change: Change, meter: Meter | None, old: StoredMeter | None) -> None:
    if change.action is Action.RETIRE:
        assert old is not None
        scope.conn.execute(update(meters).where(meters.c.id == old.id).values(status=Status.RETIRED, updated_at=scope.now))
        return
    assert meter is not None
    form = meter_to_dict(meter)
    values = {
        "event_type": meter.event_type,
        "definition": form,
        "content_hash": content_hash(form),
        "status": Status.ACTIVE,
        "updated_at": scope.now,
    }
    if change.action is Action.CREATE:
        scope.conn.execute(
            meters.insert().values(
                id=new_id("mtr"), workspace_id=scope.workspace_id, code=meter.code, created_at=scope.now, **values
            )
        )
    else:
        assert old is not None
        scope.conn.execute(update(meters).where(meters.c.id == old.id).values(**values))


def _apply_plan(scope: Scope, change: Change, plan: Plan | None, old: StoredPlan | None) -> None:
    if change.action in (Action.RETIRE, Action.RESTORE):
        assert old is not None
        status = Status.RETIRED if change.action is Action.RETIRE else Status.ACTIVE
        scope.conn.execute(update(plan_versions).where(plan_versions.c.id == old.id).values(status=status, updated_at=scope.now))
        return
    assert plan is not None
    form = plan_to_dict(plan)
    values = {"definition": form, "content_hash": content_hash(form), "currency": plan.currency,
              "status": Status.ACTIVE, "updated_at": scope.now}
    if change.action is Action.UPDATE:
        assert old is not None
        version_id = old.id
        scope.conn.execute(update(plan_versions).where(plan_versions.c.id == version_id).values(**values))
        scope.conn.execute(delete(prices).where(prices.c.plan_version_id == version_id))
    else:
        if old is not None:
            scope.conn.execute(
                update(plan_versions).where(plan_versions.c.id == old.id).values(status=Status.SUPERSEDED, updated_at=scope.now)
            )
        version_id = new_id("plv")
        scope.conn.execute(
            plan_versions.insert().values(
                id=version_id, workspace_id=scope.workspace_id, plan_code=plan.code,
                version=change.version or 1, created_at=scope.now, **values,
            )
        )
    for price in plan.prices:
        scope.conn.execute(
            prices.insert().values(
                id=new_id("prc"), workspace_id=scope.workspace_id, plan_version_id=version_id,
                code=price.code, meter_code=price.meter, definition=price_to_dict(price),
            )
        )
