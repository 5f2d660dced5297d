"""Retention: old raw events are purged, and a period that reaches into them refuses to re-rate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from revbridge.catalog.versions import stored_meters
from revbridge.domain.period import Period
from revbridge.errors import ConflictError, ValidationError
from revbridge.ingest.keys import merge_keys, merge_young
from revbridge.ingest.meters import SqlUsage
from revbridge.ingest.retention import purge_expired
from revbridge.ingest.tables import usage_event_keys, usage_event_keys_recent, usage_event_times
from revbridge.scope import transaction, utcnow
from revbridge.workspaces import set_workspace_setting

from .store_fixtures import UsageWorld


def test_purge_keeps_recent_events_and_guards_old_periods(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    usage_world.send([event(), event()])
    with usage_world.engine.begin() as conn:
        set_workspace_setting(conn, usage_world.workspace_id, "usage_retention_days", 40)
    assert purge_expired(usage_world.engine, usage_world.workspace_id)["purged"] == 0
    future = utcnow() + timedelta(days=45)
    assert purge_expired(usage_world.engine, usage_world.workspace_id, future, dry_run=True)["purged"] == 2
    assert purge_expired(usage_world.engine, usage_world.workspace_id, future)["purged"] == 2
    with transaction(usage_world.engine, usage_world.workspace_id, "t", future) as scope:
        meter = stored_meters(scope)["calls"].meter
        usage = SqlUsage(scope)
        with pytest.raises(ConflictError, match="purged by the retention policy"):
            usage.quantity(scope.workspace_id, usage_world.customers["acme"], meter,
                           Period(future - timedelta(days=60), future))
        assert usage.quantity(scope.workspace_id, usage_world.customers["acme"], meter,
                              Period(future - timedelta(days=10), future)) == 0


def test_purge_drops_the_merged_keys_and_times_of_what_it_deletes(
    usage_world: UsageWorld, event: Callable[..., Any]
) -> None:
    """SQLite's merged index tables (``ingest.keys``) keep nothing of a purged event."""
    sqlite = usage_world.engine.dialect.name == "sqlite"
    for merge in (merge_young, merge_keys):  # two events settled, two recent
        usage_world.send([event(), event()])
        if sqlite:
            with usage_world.engine.begin() as conn:
                assert merge(conn) == 2
    with usage_world.engine.begin() as conn:
        set_workspace_setting(conn, usage_world.workspace_id, "usage_retention_days", 40)
    assert purge_expired(usage_world.engine, usage_world.workspace_id, utcnow() + timedelta(days=45))["purged"] == 4
    with usage_world.engine.connect() as conn:
        for table in (usage_event_keys, usage_event_keys_recent, usage_event_times):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0, table.name


def test_settings_are_checked_by_name(usage_world: UsageWorld) -> None:
    with usage_world.engine.begin() as conn:
        with pytest.raises(ValidationError, match="usage_retention_days"):
            set_workspace_setting(conn, usage_world.workspace_id, "usage_retention_days", 3)
        with pytest.raises(ValidationError, match="unknown workspace setting"):
            set_workspace_setting(conn, usage_world.workspace_id, "colour", "red")


def test_allowed_event_types_are_accepted_without_a_meter(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    assert usage_world.send([event(type="audit.login", data={})]).counts.rejected == 1
    with usage_world.engine.begin() as conn:
        set_workspace_setting(conn, usage_world.workspace_id, "allowed_event_types", "audit.login, audit.logout")
    assert usage_world.send([event(type="audit.login", data={})]).counts.accepted == 1
