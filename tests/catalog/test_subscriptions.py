"""Subscriptions through the service: effective-dated, backdated, as-of reads, clear refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from revbridge.catalog.subscriptions import (
    cancel,
    change_plan,
    change_quantity,
    create_subscription,
    get_subscription,
    list_subscriptions,
)
from revbridge.domain.period import utc
from revbridge.errors import ConflictError, NotFoundError, ValidationError

from .conftest import NOW


@pytest.fixture
def sub(commercial: str, scope_in: Callable[..., Any]) -> str:
    with scope_in(commercial, NOW) as scope:
        return str(create_subscription(scope, "acme", "basic", utc(2026, 1, 1))["id"])


def test_backdated_upgrade_reads_as_of_either_side(commercial: str, sub: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(commercial, NOW) as scope:
        change_plan(scope, sub, "pro", utc(2026, 1, 15))
        before = get_subscription(scope, sub, as_of=utc(2026, 1, 10))
        after = get_subscription(scope, sub, as_of=utc(2026, 2, 10))
    assert before["current"]["plan"] == "basic" and after["current"]["plan"] == "pro"
    assert [p["plan"] for p in after["phases"]] == ["basic", "pro"]
    assert after["revision"] == 2


def test_quantity_change_and_cancel_at_period_end(commercial: str, sub: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(commercial, NOW) as scope:
        change_quantity(scope, sub, 7, utc(2026, 1, 20))
        done = cancel(scope, sub, at_period_end=True)
    assert done["ends_at"] == utc(2026, 3, 1)  # the period holding Feb 3 runs to Mar 1
    assert [p["quantity"] for p in done["phases"]] == [1, 7]
    with scope_in(commercial, NOW) as scope:
        assert get_subscription(scope, sub, as_of=utc(2026, 3, 1))["status"] == "cancelled"
        assert get_subscription(scope, sub, as_of=utc(2025, 12, 1))["status"] == "scheduled"


def test_anchor_on_the_31st_ends_periods_on_short_months(commercial: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(commercial, utc(2026, 2, 10)) as scope:
        sub = create_subscription(scope, "acme", "basic", utc(2026, 1, 31))
        assert cancel(scope, sub["id"], at_period_end=True)["ends_at"] == utc(2026, 2, 28)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda s, sub: change_plan(s, sub, "pro", utc(2025, 12, 1)), "cannot take effect before"),
        (lambda s, sub: change_quantity(s, sub, 3, utc(2026, 1, 1)), "same instant"),
        (lambda s, sub: change_plan(s, sub, "pro_eur", utc(2026, 1, 10)), "priced in EUR"),
        (lambda s, sub: change_quantity(s, sub, -1, utc(2026, 1, 10)), "quantity"),
        (lambda s, sub: cancel(s, sub), "either an instant or at_period_end"),
    ],
)
def test_refusals_change_nothing(
    commercial: str, sub: str, scope_in: Callable[..., Any], action: Callable[..., Any], message: str
) -> None:
    with pytest.raises((ConflictError, ValidationError), match=message), scope_in(commercial, NOW) as scope:
        action(scope, sub)
    with scope_in(commercial, NOW) as scope:
        assert get_subscription(scope, sub)["revision"] == 1


def test_two_changes_at_one_instant_are_refused(commercial: str, sub: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(commercial, NOW) as scope:
        change_quantity(scope, sub, 2, utc(2026, 1, 10))
        with pytest.raises(ConflictError, match="same instant"):
            change_plan(scope, sub, "pro", utc(2026, 1, 10))


def test_plan_currency_must_match_the_customer(commercial: str, scope_in: Callable[..., Any]) -> None:
    with pytest.raises(ConflictError, match="billed in EUR"), scope_in(commercial, NOW) as scope:
        create_subscription(scope, "bosch", "pro", utc(2026, 1, 1))


def test_naive_times_are_refused(commercial: str, scope_in: Callable[..., Any]) -> None:
    from datetime import datetime

    with pytest.raises(ValidationError, match="starts_at"), scope_in(commercial, NOW) as scope:
        create_subscription(scope, "acme", "basic", datetime(2026, 1, 1))


def test_subscriptions_are_workspace_scoped(
    commercial: str, sub: str, workspace_factory: Callable[..., str], scope_in: Callable[..., Any]
) -> None:
    other = workspace_factory("other")
    with scope_in(other, NOW) as scope:
        assert list_subscriptions(scope).rows == []
        with pytest.raises(NotFoundError):
            change_quantity(scope, sub, 5, utc(2026, 2, 1))
