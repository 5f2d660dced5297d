"""Previews write nothing and show what a run would issue."""

from __future__ import annotations

from decimal import Decimal

from revbridge.billing.preview import preview_plan_change, preview_upcoming
from revbridge.catalog.subscriptions import get_subscription
from revbridge.domain.period import utc

from .conftest import World

D = Decimal


def test_upcoming_invoice_is_the_run_at_the_period_end(world: World) -> None:
    world.subscribe("acme", "basic")
    world.run(utc(2026, 1, 1))
    world.use("acme", 12500, utc(2026, 1, 10))
    with world.scope(utc(2026, 1, 20)) as scope:
        upcoming = preview_upcoming(scope, world.usage, "acme")
    assert upcoming["run_at"] == utc(2026, 2, 1)
    [doc] = upcoming["documents"]
    assert [line["amount"] for line in doc["lines"]] == [D("20.50"), D("29.00")] and doc["total"] == D("49.50")
    assert len(world.documents("acme")) == 1


def test_what_if_plan_change_changes_nothing(world: World) -> None:
    sub = world.subscribe("acme", "basic")
    world.run(utc(2026, 1, 1))
    with world.scope(utc(2026, 1, 15)) as scope:
        result = preview_plan_change(scope, world.usage, sub, "pro", utc(2026, 1, 15))
    credit = next(d for d in result["immediate"]["documents"] if d["kind"] == "credit_note")
    invoice = next(d for d in result["immediate"]["documents"] if d["kind"] == "invoice")
    assert credit["total"] == D("15.90")  # 17/31 of 29.00 unused
    assert invoice["total"] == D("54.29") + D("6.58")
    with world.scope(utc(2026, 1, 15)) as scope:
        assert [p["plan"] for p in get_subscription(scope, sub)["phases"]] == ["basic"]
    assert world.run(utc(2026, 1, 15)).issued == 0
