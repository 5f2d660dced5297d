"""Rollups: built chunk by chunk, merged in the database, kept per meter definition.

The property test crowds events into three hours, so chunks of one to three events
merge into the same rollup rows again and again (sum, max, latest with ties, unique
values), and checks every meter's quantity against the reference on both backends.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from revbridge.catalog.apply import apply_catalog
from revbridge.catalog.spec import load_catalog
from revbridge.catalog.versions import stored_meters
from revbridge.domain.period import Period
from revbridge.ingest import IngestLimits
from revbridge.ingest.meters import customer_quantity
from revbridge.ingest.reference import quantity
from revbridge.ingest.retention import purge_expired
from revbridge.ingest.rollups import meter_key, roll_up, roll_up_all
from revbridge.ingest.service import IngestService
from revbridge.ingest.tables import usage_counters, usage_events, usage_rollup_marks, usage_rollups
from revbridge.scope import transaction
from revbridge.workspaces import set_workspace_setting

from .store_fixtures import BATCH, CATALOG, UsageWorld
from .test_meters_sql import BASE, _usage_event, as_event, event_st

crowded_st = event_st.map(lambda spec: {**spec, "hour": spec["hour"] % 3})


def _reset(world: UsageWorld) -> None:
    with world.engine.begin() as conn:
        for table in (usage_events, usage_counters, usage_rollups, usage_rollup_marks):
            conn.execute(delete(table))


def _send(world: UsageWorld, specs: list[dict[str, Any]]) -> Any:
    service = IngestService(world.engine, IngestLimits(max_lateness=timedelta(days=3650)))
    if specs:
        return service.accept_body(world.workspace_id, msgspec.json.encode([as_event(s) for s in specs]), BATCH)
    return None


def _check_all(world: UsageWorld, specs: list[dict[str, Any]], period: Period) -> None:
    first_wins: dict[str, dict[str, Any]] = {}
    for spec in specs:
        first_wins.setdefault(spec["id"], spec)
    customer = {"tenant-acme": world.customers["acme"], "globex": world.customers["globex"]}
    events = [_usage_event(s, customer[s["subject"]]) for s in first_wins.values()]
    with transaction(world.engine, world.workspace_id, "t") as scope:
        for found in stored_meters(scope).values():
            for cid in customer.values():
                got = customer_quantity(scope.conn, scope.workspace_id, cid, found.meter, period)
                assert got == quantity(found.meter, events, period, cid), found.meter.code


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(crowded_st, max_size=30), chunk=st.integers(1, 3))
def test_rollups_merged_chunk_by_chunk_match_the_reference(
    usage_world: UsageWorld, specs: list[dict[str, Any]], chunk: int
) -> None:
    _reset(usage_world)
    _send(usage_world, specs)
    roll_up_all(usage_world.engine, usage_world.workspace_id, BASE, chunk)
    _check_all(usage_world, specs, Period(BASE, BASE + timedelta(hours=3)))


def _spec(n: int, **kw: Any) -> dict[str, Any]:
    spec = {"id": str(n), "subject": "tenant-acme", "type": "api.request", "hour": 1, "minute": 0, "tokens": n,
            "region": "eu", "user": f"u{n % 2}"}
    return {**spec, **kw}


def test_the_builder_stops_when_current_and_moves_every_mark(usage_world: UsageWorld) -> None:
    _reset(usage_world)
    _send(usage_world, [_spec(n) for n in range(5)])
    with usage_world.engine.begin() as conn:
        assert roll_up(conn, usage_world.workspace_id, BASE, 3) == 3
        assert roll_up(conn, usage_world.workspace_id, BASE, 3) == 2
        assert roll_up(conn, usage_world.workspace_id, BASE, 3) == 0
        marks = conn.execute(select(usage_rollup_marks.c.through_id)).scalars().all()
        highest = conn.execute(select(func.max(usage_events.c.id))).scalar()
    assert len(marks) == 5 and set(marks) == {highest}  # one per meter of the catalog
    # one row per meter, hour and group for the five events (unique_count: one per user)
    with usage_world.engine.connect() as conn:
        rows = conn.execute(select(usage_rollups.c.meter_key, func.count()).group_by(usage_rollups.c.meter_key)).all()
    assert sorted(n for _, n in rows) == [1, 1, 1, 2]  # calls, tokens, peak_eu (eu only), users (u0, u1)


def test_a_changed_meter_gets_fresh_rollups_and_the_old_ones_go(usage_world: UsageWorld) -> None:
    _reset(usage_world)
    _send(usage_world, [_spec(n, region="eu" if n % 2 else "us") for n in range(6)])
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        old = stored_meters(scope)["peak_eu"].meter
    roll_up_all(usage_world.engine, usage_world.workspace_id, BASE)
    changed = CATALOG.replace("filters: [{property: region, eq: eu}]", "filters: [{property: region, eq: us}]")
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        apply_catalog(scope, load_catalog(changed, "catalog.yaml"))
        new = stored_meters(scope)["peak_eu"].meter
    assert meter_key(new) != meter_key(old)
    period = Period(BASE, BASE + timedelta(hours=3))
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:  # no rollups yet: raw events
        assert customer_quantity(scope.conn, scope.workspace_id, usage_world.customers["acme"], new, period) == 4
    roll_up_all(usage_world.engine, usage_world.workspace_id, BASE)
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        keys = set(scope.conn.execute(select(usage_rollup_marks.c.meter_key)).scalars())
        assert meter_key(new) in keys and meter_key(old) not in keys
        assert not scope.conn.execute(select(usage_rollups).where(usage_rollups.c.meter_key == meter_key(old))).first()
        assert customer_quantity(scope.conn, scope.workspace_id, usage_world.customers["acme"], new, period) == 4


def test_purge_drops_the_rollups_of_purged_hours(usage_world: UsageWorld) -> None:
    _reset(usage_world)
    later = 24 * 40 + 5
    _send(usage_world, [_spec(1, hour=1), _spec(2, hour=later)])
    roll_up_all(usage_world.engine, usage_world.workspace_id, BASE)
    with usage_world.engine.begin() as conn:
        set_workspace_setting(conn, usage_world.workspace_id, "usage_retention_days", 40)
    assert purge_expired(usage_world.engine, usage_world.workspace_id, BASE + timedelta(hours=later))["purged"] == 1
    with usage_world.engine.connect() as conn:
        hours = set(conn.execute(select(usage_rollups.c.hour)).scalars())
    assert hours == {BASE + timedelta(hours=later)}


def test_a_purge_keeps_the_hour_its_cutoff_falls_in(usage_world: UsageWorld) -> None:
    """The cutoff is rounded down to the hour: a rolled-up hour is kept or purged whole,
    so a period that starts inside it, after the retention line, still counts its events."""
    _reset(usage_world)
    later = 24 * 40 + 5
    _send(usage_world, [_spec(1, hour=5, minute=10), _spec(2, hour=5, minute=50), _spec(3, hour=later)])
    roll_up_all(usage_world.engine, usage_world.workspace_id, BASE + timedelta(hours=later + 1))
    with usage_world.engine.begin() as conn:
        set_workspace_setting(conn, usage_world.workspace_id, "usage_retention_days", 40)
    now = BASE + timedelta(days=40, hours=5, minutes=30)  # 40 days back is 5:30, inside the rolled-up hour
    done = purge_expired(usage_world.engine, usage_world.workspace_id, now)
    assert (done["purged"], done["before"]) == (0, BASE + timedelta(hours=5))
    with transaction(usage_world.engine, usage_world.workspace_id, "t", now) as scope:
        calls = stored_meters(scope)["calls"].meter
        after_line = Period(BASE + timedelta(hours=5, minutes=30), BASE + timedelta(hours=6))
        assert customer_quantity(scope.conn, scope.workspace_id, usage_world.customers["acme"], calls,
                                 after_line) == 1


def test_a_purge_in_spans_deletes_the_expired_events_and_forgets_only_their_keys(usage_world: UsageWorld) -> None:
    _reset(usage_world)
    later = 24 * 40 + 5
    specs = [_spec(n, hour=later if n % 3 == 0 else 1) for n in range(20)]  # expired and kept, ids interleaved
    _send(usage_world, specs)
    with usage_world.engine.begin() as conn:
        set_workspace_setting(conn, usage_world.workspace_id, "usage_retention_days", 40)
    done = purge_expired(usage_world.engine, usage_world.workspace_id, BASE + timedelta(hours=later), span=3)
    assert done["purged"] == 13
    with usage_world.engine.connect() as conn:
        left = set(conn.execute(select(usage_events.c.event_id)).scalars())
    assert left == {str(n) for n in range(0, 20, 3)}
    again = _send(usage_world, specs)
    assert (again.counts.accepted, again.counts.duplicate) == (13, 7)  # a purged key is free again; a kept one is not


def test_builders_running_at_once_add_every_event_once(usage_world: UsageWorld) -> None:
    _reset(usage_world)
    specs = [_spec(n, hour=n % 5, minute=n % 60, subject="globex" if n % 3 else "tenant-acme") for n in range(120)]
    _send(usage_world, specs)
    builders = [threading.Thread(target=roll_up_all, args=(usage_world.engine, usage_world.workspace_id, BASE, 7))
                for _ in range(3)]
    for builder in builders:
        builder.start()
    for builder in builders:
        builder.join()
    roll_up_all(usage_world.engine, usage_world.workspace_id, BASE, 7)  # whatever a builder left to another
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        calls = meter_key(stored_meters(scope)["calls"].meter)
        counted = scope.conn.execute(select(func.sum(usage_rollups.c.events)).where(
            usage_rollups.c.meter_key == calls)).scalar()
    assert counted == 120
    _check_all(usage_world, specs, Period(BASE, BASE + timedelta(hours=5)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(crowded_st, max_size=20), chunk=st.integers(1, 3), start=st.integers(0, 179),
       length=st.integers(1, 180), forget_bounds=st.booleans())
def test_periods_starting_and_ending_inside_an_hour_match_the_reference(
    usage_world: UsageWorld, specs: list[dict[str, Any]], chunk: int, start: int, length: int, forget_bounds: bool
) -> None:
    _reset(usage_world)
    _send(usage_world, specs)
    roll_up_all(usage_world.engine, usage_world.workspace_id, BASE, chunk)
    if forget_bounds:  # rows written before their events' times were kept
        with usage_world.engine.begin() as conn:
            conn.execute(update(usage_rollups).values(first_time=None, last_time=None))
    moment = BASE + timedelta(minutes=start)
    _check_all(usage_world, specs, Period(moment, moment + timedelta(minutes=length)))


def test_a_month_to_date_reads_its_last_hour_from_the_rollups(
    usage_world: UsageWorld, monkeypatch: Any
) -> None:
    from revbridge.ingest import meters as meters_module

    _send(usage_world, [_spec(1, minute=5), _spec(2, minute=20)])
    roll_up_all(usage_world.engine, usage_world.workspace_id, BASE)
    _send(usage_world, [_spec(3, minute=25)])  # after the mark: read raw, by id
    reads: list[tuple[Period, int | None]] = []
    original = meters_module.stored_events

    def recording(conn: Any, workspace_id: str, event_type: str, period: Period, customer_id: Any = None,
                  after_id: int | None = None) -> Any:
        reads.append((period, after_id))
        return original(conn, workspace_id, event_type, period, customer_id, after_id)

    monkeypatch.setattr(meters_module, "stored_events", recording)
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        tokens = stored_meters(scope)["tokens"].meter
        acme = usage_world.customers["acme"]
        to_date = Period(BASE, BASE + timedelta(hours=1, minutes=30))
        assert customer_quantity(scope.conn, scope.workspace_id, acme, tokens, to_date) == 6
        assert [after is not None for _, after in reads] == [True]  # only the events after the mark
        reads.clear()
        cut = Period(BASE, BASE + timedelta(hours=1, minutes=10))  # ends between two rolled-up events
        assert customer_quantity(scope.conn, scope.workspace_id, acme, tokens, cut) == 1
        assert sorted(after is None for _, after in reads) == [False, True]  # that hour raw, in full


def test_a_builder_asked_to_stop_ends_with_the_chunk_in_hand(usage_world: UsageWorld) -> None:
    _send(usage_world, [_spec(n) for n in range(10)])
    assert roll_up_all(usage_world.engine, usage_world.workspace_id, BASE, 3, stopping=lambda: True) == 3
    assert roll_up_all(usage_world.engine, usage_world.workspace_id, BASE, 3) == 7  # the rest, the next time
