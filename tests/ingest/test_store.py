"""Stored usage: exactly once, conflicts kept beside the original, quarantine and replay, late events."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from revbridge.catalog.customers import create_customer
from revbridge.domain.period import Period
from revbridge.ingest import quarantine
from revbridge.ingest.meters import SqlUsage, customer_quantity
from revbridge.ingest.store import counters, late_usage
from revbridge.ingest.tables import exceptions, usage_events, usage_rollup_marks
from revbridge.ingest.upkeep import UpkeepProcess, UsageUpkeep
from revbridge.scope import transaction

from .store_fixtures import UsageWorld


def stored(world: UsageWorld) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(usage_events)).scalar_one())


def conserved(world: UsageWorld) -> dict[str, int]:
    with transaction(world.engine, world.workspace_id, "t") as scope:
        rows = counters(scope)
    total = {k: sum(r[k] for r in rows) for k in ("received", "accepted", "duplicate", "rejected")}
    assert total["received"] == total["accepted"] + total["duplicate"] + total["rejected"]
    return total


def test_duplicates_counted_not_stored_and_conflicts_kept(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    first = event(id="a")
    out = usage_world.send([first, event(id="b"), first])
    assert (out.counts.accepted, out.counts.duplicate, out.counts.rejected) == (2, 1, 0)
    changed = event(id="b")
    again = usage_world.send([first, {**changed, "data": {**changed["data"], "tokens": 99}}])
    assert (again.counts.accepted, again.counts.duplicate, again.counts.rejected) == (0, 1, 1)
    assert again.errors[0]["reason"].startswith("conflict")
    assert stored(usage_world) == 2
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        conflict = quarantine.get_exception(scope, again.exception_ids[0])
        assert conflict["reason"] == "conflict" and '"tokens":99' in conflict["raw"]
        original = scope.conn.execute(select(usage_events.c.payload).where(usage_events.c.event_id == "b")).scalar_one()
    assert b'"tokens":10' in original
    assert conserved(usage_world) == {"received": 5, "accepted": 2, "duplicate": 2, "rejected": 1}


def test_unknown_customer_is_accepted_on_replay_once_created(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    out = usage_world.send([event(subject="tenant-new"), event()])
    assert (out.counts.accepted, out.counts.rejected) == (1, 1)
    exc_id = out.exception_ids[0]
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        assert quarantine.get_exception(scope, exc_id)["reason"] == "unknown_customer"
        assert usage_world.service.replay(scope, [exc_id]).accepted == 0  # still unknown
        create_customer(scope, {"key": "new", "name": "New", "country": "US", "external_ids": {"product": "tenant-new"}})
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        moved = usage_world.service.replay(scope, [exc_id])
        assert (moved.accepted, moved.rejected) == (1, -1)
        assert quarantine.get_exception(scope, exc_id)["state"] == "replayed"
        assert quarantine.get_exception(scope, exc_id)["attempts"] == 2
    assert stored(usage_world) == 2
    assert conserved(usage_world) == {"received": 2, "accepted": 2, "duplicate": 0, "rejected": 0}


def test_every_refusal_is_kept_with_its_reason(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    bad = [
        event(subject="nobody"),
        event(type="nope.event"),
        event(time="yesterday"),
        event(data={"tokens": "NaN", "user": "u1"}),
        event(id="x" * 10_000),
        {k: v for k, v in event().items() if k != "source"},
    ]
    out = usage_world.send(bad + [event()])
    assert (out.counts.accepted, out.counts.rejected) == (1, 6)
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        reasons = sorted(r["reason"] for r in quarantine.list_exceptions(scope).rows)
    assert reasons == ["bad_field", "bad_field", "bad_field", "bad_field", "unknown_customer", "unknown_type"]
    assert conserved(usage_world)["rejected"] == 6


def test_another_workspace_customer_is_unknown_here(
    usage_world: UsageWorld, event: Callable[..., Any], workspace_factory: Callable[..., str], scope_in: Callable[..., Any]
) -> None:
    other = workspace_factory("other")
    with scope_in(other) as scope:
        from revbridge.catalog.apply import apply_catalog
        from revbridge.catalog.entities import create_legal_entity
        from revbridge.catalog.spec import load_catalog

        from .store_fixtures import CATALOG

        create_legal_entity(scope, {"code": "us", "name": "O", "currency": "USD", "country": "US", "invoice_prefix": "O"})
        apply_catalog(scope, load_catalog(CATALOG, "c"))
    out = usage_world.service.accept_body(other, __import__("msgspec").json.encode([event()]), "application/cloudevents-batch+json")
    assert out.counts.rejected == 1 and out.errors[0]["reason"] == "unknown customer"
    assert stored(usage_world) == 0


def test_late_events_are_flagged_until_billed_again(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    now = datetime.now(UTC)
    period = Period(now - timedelta(days=10), now - timedelta(days=1))
    acme = usage_world.customers["acme"]
    with transaction(usage_world.engine, usage_world.workspace_id, "billing") as scope:
        SqlUsage(scope).mark_billed(scope.workspace_id, acme, ["calls", "tokens"], period)
    inside = (period.start + timedelta(days=2)).isoformat()
    out = usage_world.send([event(time=inside), event(time=inside), event()])
    assert out.late == 2
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        late = late_usage(scope)
        assert {(r["meter"], r["events"]) for r in late} == {("calls", 2), ("tokens", 2)}
        assert customer_quantity(scope.conn, scope.workspace_id, acme, _meter(scope, "calls"), period) == 2
        SqlUsage(scope).mark_billed(scope.workspace_id, acme, ["calls", "tokens"], period)
        assert late_usage(scope) == []


def _meter(scope: Any, code: str) -> Any:
    from revbridge.catalog.versions import stored_meters

    return stored_meters(scope)[code].meter


def test_exceptions_table_counts_match_rejections(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    usage_world.send([event(subject="ghost") for _ in range(3)])
    with usage_world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(exceptions)).scalar_one() == 3


def test_instants_written_in_bulk_read_back_as_the_column_type_writes_them() -> None:
    from datetime import timezone

    from revbridge.ingest.rows import instant_texts
    from revbridge.store.types import sqlite_instant

    moments = [datetime(2025, 3, 1, 11, 0, 0, us, tzinfo=UTC) for us in (0, 1, 120, 500_000, 999_999)]
    moments += [datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))), datetime(1, 1, 1, tzinfo=UTC)]
    assert instant_texts(moments) == [sqlite_instant(m) for m in moments]
    assert instant_texts([]) == []


def test_the_upkeep_process_rolls_up_and_stops_when_asked(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    """``serve``'s upkeep in its own process: it opens the database itself and keeps the rollups current."""
    usage_world.send([event() for _ in range(5)])
    url = usage_world.engine.url.render_as_string(hide_password=False)
    upkeep = UpkeepProcess(url, interval=0.05, rollup_interval=0.05)
    upkeep.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            with usage_world.engine.connect() as conn:
                marks = set(conn.execute(select(usage_rollup_marks.c.through_id)).scalars())
                top = conn.execute(select(func.max(usage_events.c.id))).scalar()
            if marks == {top}:
                break
            assert time.monotonic() < deadline, f"rollups not built: marks {marks}, top {top}"
            time.sleep(0.05)
    finally:
        upkeep.stop()
    assert not upkeep.alive()


def test_stopping_an_upkeep_process_that_was_killed_returns(tmp_path: Path) -> None:
    """A service manager signals the whole group, so the upkeep may be gone before
    ``serve`` stops it; waking a process killed in its sleep must not hang the stop."""
    import os
    import signal
    import threading

    upkeep = UpkeepProcess(f"sqlite:///{tmp_path / 'killed.db'}", interval=0.05)
    upkeep.start()
    time.sleep(1.0)  # asleep between its rounds
    os.kill(upkeep._process.pid, signal.SIGKILL)
    upkeep._process.join(10)
    stopper = threading.Thread(target=upkeep.stop, daemon=True)
    stopper.start()
    stopper.join(10)
    assert not stopper.is_alive(), "stop hung on a killed upkeep process"
    assert not upkeep.alive()


def test_an_upkeep_tick_rolls_up_and_checkpoints_keeping_every_event(
    usage_world: UsageWorld, event: Callable[..., Any]
) -> None:
    usage_world.send([event() for _ in range(20)])
    upkeep = UsageUpkeep(usage_world.engine)
    upkeep.tick()  # rollups built; SQLite: the log copied into the database; PostgreSQL: nothing more
    upkeep.tick()
    assert stored(usage_world) == 20
    with usage_world.engine.connect() as conn:
        marks = set(conn.execute(select(usage_rollup_marks.c.through_id)).scalars())
        assert marks == {conn.execute(select(func.max(usage_events.c.id))).scalar()}


def test_every_refusal_of_a_batch_is_kept_under_the_id_its_error_names(
    usage_world: UsageWorld, event: Callable[..., Any]
) -> None:
    first = event(id="k")
    usage_world.send([first])
    out = usage_world.send([event(subject="ghost"), {**first, "data": {**first["data"], "tokens": 5}},
                            event(type="unknown.type"), event(), event(time="yesterday")])
    assert (out.counts.accepted, out.counts.rejected) == (1, 4)
    named = {e["exception_id"]: e for e in out.errors}
    assert sorted(named) == sorted(out.exception_ids) and len(set(out.exception_ids)) == 4
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        reasons = {i: quarantine.get_exception(scope, i)["reason"] for i in out.exception_ids}
    assert sorted(reasons.values()) == ["bad_field", "conflict", "unknown_customer", "unknown_type"]
    assert reasons[next(i for i, e in named.items() if e["field"].endswith("subject"))] == "unknown_customer"


def test_a_batch_of_many_statements_stores_each_event_once_with_its_own_fields(
    usage_world: UsageWorld, event: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite inserts many rows a statement (8 here) and the rest in statements of 4, 2
    and 1: every event keeps its own id, time and payload, in batch order, and a resend
    is all duplicates."""
    from revbridge.ingest import store

    per = 8
    monkeypatch.setattr(store, "_ROWS_PER_STATEMENT", per)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    batch = [event(id=f"m{n}", time=(base + timedelta(seconds=n)).isoformat(), data={"tokens": n, "region": "eu", "user": "u1", "latency": 12})
             for n in range(2 * per + 7)]
    first = usage_world.send(batch)
    assert first.counts.accepted == len(batch), first.errors[:1]
    with usage_world.engine.connect() as conn:
        rows = conn.execute(select(usage_events.c.event_id, usage_events.c.time, usage_events.c.payload)
                            .order_by(usage_events.c.id)).all()
    assert [r.event_id for r in rows] == [f"m{n}" for n in range(len(batch))]
    assert [r.time.astimezone(UTC) for r in rows] == [base + timedelta(seconds=n) for n in range(len(batch))]
    assert all(f'"tokens":{n},'.encode() in r.payload for n, r in enumerate(rows))
    again = usage_world.send(batch)
    assert (again.counts.accepted, again.counts.duplicate) == (0, len(batch))
    assert stored(usage_world) == len(batch)


def test_statements_hold_no_more_parameters_than_the_sqlite_build_takes() -> None:
    """Builds before SQLite 3.32 take 999 parameters: 64 rows of 8 and two shared; newer ones 1,024 rows."""
    import sqlite3

    from revbridge.ingest.store import _rows_per_statement
    from revbridge.store.engine import open_engine

    engine = open_engine("sqlite://")
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        assert _rows_per_statement(conn) == 64
        driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 5_000)
        assert _rows_per_statement(conn) == 512
        driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 250_000)
        if driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) >= 2 + 8 * 1024:  # the build's own maximum allows
            assert _rows_per_statement(conn) == 1024
    engine.dispose()
