"""Catalog diff and apply: create, update in place while unused, version once used, retire."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from revbridge.catalog.apply import Action, apply_catalog, diff_catalog, field_changes
from revbridge.catalog.subscriptions import create_subscription, get_subscription
from revbridge.catalog.versions import latest_plans, plan_versions_of, stored_meters
from revbridge.domain.period import utc
from revbridge.errors import ConflictError, ValidationErrors

from .conftest import CATALOG, catalog_from


def actions(diff: Any) -> dict[tuple[str, str], Action]:
    return {(c.kind, c.code): c.action for c in diff.changes}


def test_first_apply_creates_then_nothing_is_pending(commercial: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(commercial) as scope:
        again = apply_catalog(scope, catalog_from())
        assert again.pending == ()
        plans = latest_plans(scope)
    assert {c: p.version for c, p in plans.items()} == {"basic": 1, "pro": 1, "pro_eur": 1}


def test_unused_plan_is_updated_in_place(commercial: str, scope_in: Callable[..., Any]) -> None:
    changed = catalog_from(CATALOG.replace('"199.00"', '"219.00"'))
    with scope_in(commercial) as scope:
        diff = diff_catalog(scope, changed)
        assert actions(diff)[("plan", "pro")] is Action.UPDATE
        assert [c.fields for c in diff.pending] == [("prices.platform.amount: 199 -> 219",)]
        assert latest_plans(scope)["pro"].plan.price("platform").amount == 199  # diff changed nothing
        apply_catalog(scope, changed)
        assert [v.version for v in plan_versions_of(scope, "pro")] == [1]
        assert latest_plans(scope)["pro"].plan.price("platform").amount == 219


def test_used_plan_gets_a_new_version_and_subscribers_keep_theirs(commercial: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(commercial) as scope:
        sub = create_subscription(scope, "acme", "pro", utc(2026, 1, 1), quantity=3)
        apply_catalog(scope, catalog_from(CATALOG.replace('"199.00"', '"219.00"')))
        versions = plan_versions_of(scope, "pro")
        assert [(v.version, v.status) for v in versions] == [(1, "superseded"), (2, "active")]
        assert get_subscription(scope, sub["id"])["current"]["plan_version"] == 1
        later = create_subscription(scope, "acme", "pro", utc(2026, 2, 1))
        assert later["current"]["plan_version"] == 2


def test_dropped_plan_is_retired_and_cannot_be_sold(commercial: str, scope_in: Callable[..., Any]) -> None:
    without_basic = CATALOG.split("  - code: basic")[0] + "  - code: pro" + CATALOG.split("  - code: pro", 1)[1]
    with scope_in(commercial) as scope:
        diff = apply_catalog(scope, catalog_from(without_basic))
        assert actions(diff)[("plan", "basic")] is Action.RETIRE
        assert actions(diff)[("meter", "api_calls")] is Action.UNCHANGED
        with pytest.raises(ConflictError, match="retired"):
            create_subscription(scope, "acme", "basic", utc(2026, 1, 1))
        restored = apply_catalog(scope, catalog_from())
        assert actions(restored)[("plan", "basic")] is Action.RESTORE


def test_meter_used_by_a_subscription_cannot_change_how_it_aggregates(
    commercial: str, scope_in: Callable[..., Any]
) -> None:
    changed = catalog_from(CATALOG.replace("aggregation: count", "aggregation: unique_count\n    value_property: user"))
    with scope_in(commercial) as scope:
        create_subscription(scope, "acme", "basic", utc(2026, 1, 1))
        with pytest.raises(ValidationErrors, match="basic v1") as err:
            diff_catalog(scope, changed)
        assert err.value.problems[0].field == "meters.api_calls"
        assert stored_meters(scope)["api_calls"].meter.aggregation.value == "count"


def test_unused_meter_can_change(commercial: str, scope_in: Callable[..., Any]) -> None:
    changed = catalog_from(CATALOG.replace("event_type: api.request", "event_type: api.call"))
    with scope_in(commercial) as scope:
        assert actions(apply_catalog(scope, changed))[("meter", "api_calls")] is Action.UPDATE
        assert stored_meters(scope)["api_calls"].meter.event_type == "api.call"


def test_field_changes_name_the_path() -> None:
    old = {"prices": [{"code": "a", "tiers": [{"up_to": "10"}]}]}
    new = {"prices": [{"code": "a", "tiers": [{"up_to": "20"}]}, {"code": "b"}]}
    assert field_changes(old, new) == ["prices.a.tiers[0].up_to: 10 -> 20", "prices.b: (none) -> {'code': 'b'}"]
