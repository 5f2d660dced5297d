"""Meters over stored events equal the in-memory reference, on SQLite and PostgreSQL.

Random events (duplicates, other customers, other types, values on the period's edges)
go through the real write path; the stored query must give what the reference gives
over the deduplicated events, including events exactly on a period boundary. The
rollups are built at a random point, a random number of events at a time, so queries
combine rollups, the events after their mark and the partial hours at the edges. On
SQLite the first part may also be merged into the keys or the time index or both
(``ingest.keys``), so raw reads combine that index with the young events after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from revbridge.catalog.versions import stored_meters
from revbridge.domain.period import Period
from revbridge.ingest import IngestLimits, UsageEvent, Window, aggregate
from revbridge.ingest.keys import merge_keys, merge_times
from revbridge.ingest.meters import customer_quantity, stored_events, usage_table
from revbridge.ingest.reference import quantity
from revbridge.ingest.rollups import roll_up
from revbridge.ingest.service import IngestService
from revbridge.ingest.tables import (
    usage_counters,
    usage_event_keys,
    usage_event_keys_recent,
    usage_event_times,
    usage_events,
    usage_key_marks,
    usage_rollup_marks,
    usage_rollups,
)
from revbridge.scope import transaction

from .store_fixtures import BATCH, UsageWorld

BASE = datetime(2026, 1, 1, tzinfo=UTC)
DERIVED = (usage_event_keys, usage_event_keys_recent, usage_event_times, usage_key_marks)  # SQLite's merged indexes
HOURS = 24 * 40

event_st = st.fixed_dictionaries({
    "id": st.integers(0, 40).map(str),
    "subject": st.sampled_from(["tenant-acme", "globex"]),
    "type": st.sampled_from(["api.request", "storage.snapshot"]),
    "hour": st.integers(0, HOURS),
    "minute": st.sampled_from([0, 0, 0, 30, 59]),
    "tokens": st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    "region": st.sampled_from(["eu", "us"]),
    "user": st.sampled_from(["u1", "u2", "u3"]),
})


def as_event(spec: dict[str, Any]) -> dict[str, Any]:
    moment = BASE + timedelta(hours=spec["hour"], minutes=spec["minute"])
    data: dict[str, Any] = {"tokens": spec["tokens"], "region": spec["region"], "user": spec["user"],
                            "latency": spec["tokens"], "gb": spec["tokens"]}
    return {"specversion": "1.0", "id": spec["id"], "source": "gen", "type": spec["type"],
            "subject": spec["subject"], "time": moment.isoformat(), "data": data}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=st.lists(event_st, max_size=40),
    start_hour=st.integers(0, HOURS),
    span=st.integers(1, HOURS),
    window=st.sampled_from([None, Window.HOUR, Window.DAY, Window.MONTH]),
    group=st.booleans(),
    split=st.integers(0, 40),
    chunk=st.one_of(st.none(), st.integers(1, 12)),
    minutes=st.sampled_from([0, 0, 17]),
    merged=st.sampled_from([(), (merge_keys,), (merge_times,), (merge_times, merge_keys)]),
)
def test_stored_meters_match_the_reference(
    usage_world: UsageWorld, specs: list[dict[str, Any]], start_hour: int, span: int, window: Window | None, group: bool,
    split: int, chunk: int | None, minutes: int, merged: tuple[Any, ...],
) -> None:
    with usage_world.engine.begin() as conn:  # each example starts from no usage
        for table in (usage_events, usage_counters, usage_rollups, usage_rollup_marks, *DERIVED):
            conn.execute(delete(table))
    service = IngestService(usage_world.engine, IngestLimits(max_lateness=timedelta(days=3650)))
    for first, part in ((True, specs[:split]), (False, specs[split:])):
        if part:
            body = msgspec.json.encode([as_event(s) for s in part])
            service.accept_body(usage_world.workspace_id, body, BATCH)
        if merged and first and usage_world.engine.dialect.name == "sqlite":
            with usage_world.engine.begin() as conn:
                for merge in merged:
                    merge(conn)
        if chunk is None:
            continue
        while True:  # the first part rolled up in full, chunk by chunk; the second only in part
            with usage_world.engine.begin() as conn:
                read = roll_up(conn, usage_world.workspace_id, BASE, chunk)
            if read < chunk or not first:
                break
    period = Period(BASE + timedelta(hours=start_hour, minutes=minutes), BASE + timedelta(hours=start_hour + span))
    everything = Period(BASE - timedelta(days=1), BASE + timedelta(days=60))
    first_wins: dict[str, dict[str, Any]] = {}
    for spec in specs:  # what exactly-once keeps: the first event of every id
        first_wins.setdefault(spec["id"], spec)
    customer = {"tenant-acme": usage_world.customers["acme"], "globex": usage_world.customers["globex"]}
    reference_events = [_usage_event(s, customer[s["subject"]]) for s in first_wins.values()]
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        for found in stored_meters(scope).values():
            meter = found.meter
            group_by = ("region",) if group else None
            expected = aggregate(meter, reference_events, period, window=window, group_by=group_by)
            got = usage_table(scope.conn, scope.workspace_id, meter, period, None, window, group_by)
            assert got == expected, meter.code
            assert all(isinstance(v, Decimal) for v in got.values())
            for cid in customer.values():
                assert customer_quantity(scope.conn, scope.workspace_id, cid, meter, period) == quantity(
                    meter, reference_events, period, cid), meter.code
        stored = list(stored_events(scope.conn, scope.workspace_id, "api.request", everything))
    assert len(stored) == sum(1 for s in first_wins.values() if s["type"] == "api.request")


def _usage_event(spec: dict[str, Any], customer_id: str) -> UsageEvent:
    raw = as_event(spec)
    data = {**raw["data"], "tokens": Decimal(spec["tokens"]).normalize()}
    data.update(latency=data["tokens"], gb=data["tokens"])
    return UsageEvent(source="gen", id=spec["id"], type=spec["type"], subject=spec["subject"], customer_id=customer_id,
                      time=datetime.fromisoformat(raw["time"]), data=data, extensions={}, digest="", payload=b"")
