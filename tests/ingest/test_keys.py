"""SQLite's dedup without a unique index (``ingest.keys``): exact through merges, rollbacks,
other writers and hash collisions, checked against a plain model of what is stored."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from revbridge.ingest import envelope as envelope_module
from revbridge.ingest import keys as keys_module
from revbridge.ingest.envelope import ingest_body
from revbridge.ingest.keys import merge_keys, settle_keys
from revbridge.ingest.service import IngestService
from revbridge.ingest.store import store_batch
from revbridge.ingest.tables import usage_event_keys, usage_event_keys_recent, usage_event_times, usage_events
from revbridge.scope import Scope, utcnow
from revbridge.store.engine import open_engine

from .store_fixtures import BATCH, UsageWorld

sqlite_only = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL keeps its unique index


def _counts(outcome: Any) -> tuple[int, int, int]:
    return outcome.counts.accepted, outcome.counts.duplicate, outcome.counts.rejected


@given(st.text(max_size=40), st.text(max_size=40))
def test_a_key_hash_is_the_signed_blake2b_64_of_source_and_id(source: str, event_id: str) -> None:
    """Stored hashes outlive releases: the function may get faster, never different."""
    text = f"{source}\x1f{event_id}".encode("utf-8", "surrogatepass")
    expected = int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big", signed=True)
    assert envelope_module.key_hash(source, event_id) == expected
    assert envelope_module.key_hash("//api.bench", "0921765f801c435c9578ea49fd362874") == -6766964385069233670


def _merge(engine: Engine) -> int:
    with engine.begin() as conn:
        return merge_keys(conn)


def _stored(engine: Engine, workspace_id: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(usage_events).where(
            usage_events.c.workspace_id == workspace_id)).scalar_one())


@sqlite_only
def test_duplicates_and_conflicts_are_found_before_and_after_a_merge(
    usage_world: UsageWorld, event: Callable[..., Any]
) -> None:
    first = [event(id=f"k{n}") for n in range(3)]
    assert _counts(usage_world.send(first)) == (3, 0, 0)
    assert _counts(usage_world.send(first[:1])) == (0, 1, 0)  # still young: found in memory
    assert _merge(usage_world.engine) == 3
    changed = {**first[1], "data": {**first[1]["data"], "tokens": 99}}
    assert _counts(usage_world.send([first[0], changed, event(id="k3")])) == (1, 1, 1)  # merged: found in the table
    assert _counts(usage_world.send([event(id="k3")])) == (0, 1, 0)
    assert _stored(usage_world.engine, usage_world.workspace_id) == 4
    assert _sizes(usage_world.engine) == (0, 3)
    with usage_world.engine.begin() as conn:
        assert settle_keys(conn) == 3
    assert _sizes(usage_world.engine) == (3, 0)
    assert _counts(usage_world.send([first[2], {**first[0], "data": changed["data"]}])) == (0, 1, 1)  # settled
    assert _merge(usage_world.engine) == 1  # k3, into the recent keys beside the settled ones
    assert _counts(usage_world.send([event(id="k3"), first[1], event(id="k4")])) == (1, 2, 0)
    assert _sizes(usage_world.engine) == (3, 1)


def _sizes(engine: Engine) -> tuple[int, int]:
    """How many keys are settled, and how many recent."""
    with engine.connect() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(t)).scalar_one())  # type: ignore[return-value]
                     for t in (usage_event_keys, usage_event_keys_recent))


@sqlite_only
def test_a_rolled_back_batch_leaves_nothing_behind(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    batch = [event(id=f"r{n}") for n in range(5)]
    _store_and_roll_back(usage_world, batch)
    assert _counts(usage_world.send(batch)) == (5, 0, 0)
    _store_and_roll_back(usage_world, batch)
    assert _counts(usage_world.send(batch)) == (0, 5, 0)
    assert _stored(usage_world.engine, usage_world.workspace_id) == 5


@sqlite_only
def test_a_second_process_sees_what_the_first_stored(
    usage_world: UsageWorld, event: Callable[..., Any], engine: Engine
) -> None:
    other = open_engine(str(engine.url))  # its own engine: its own memory, as another process has
    try:
        theirs = IngestService(other)
        one, two = event(id="p1"), event(id="p2")
        assert _counts(usage_world.send([one])) == (1, 0, 0)
        assert _counts(theirs.accept_body(usage_world.workspace_id, msgspec.json.encode([one, two]), BATCH)) == (1, 1, 0)
        assert _counts(usage_world.send([two])) == (0, 1, 0)
        _merge(other)
        assert _counts(usage_world.send([one, two, event(id="p3")])) == (1, 2, 0)
        assert _counts(theirs.accept_body(usage_world.workspace_id, msgspec.json.encode([event(id="p3")]), BATCH)) \
            == (0, 1, 0)
    finally:
        other.dispose()


@sqlite_only
def test_every_key_hashing_alike_still_stores_each_event_once(
    usage_world: UsageWorld, event: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(envelope_module, "key_hash", lambda source, event_id: 7)
    monkeypatch.setattr(keys_module, "key_hash", lambda source, event_id: 7)
    batch = [event(id=f"c{n}") for n in range(4)]
    assert _counts(usage_world.send(batch[:2])) == (2, 0, 0)
    _merge(usage_world.engine)
    assert _counts(usage_world.send(batch)) == (2, 2, 0)
    assert _counts(usage_world.send(batch[::-1])) == (0, 4, 0)
    assert _stored(usage_world.engine, usage_world.workspace_id) == 4


_ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.integers(0, 1), st.lists(st.tuples(st.integers(0, 7), st.integers(0, 1)),
                                                                  min_size=1, max_size=6)),
        st.tuples(st.just("merge"), st.integers(0, 1), st.just([])),
        st.tuples(st.just("settle"), st.integers(0, 1), st.just([])),
        st.tuples(st.just("roll_back"), st.integers(0, 1), st.lists(st.tuples(st.integers(0, 7), st.integers(0, 1)),
                                                                       min_size=1, max_size=4)),
    ),
    min_size=1, max_size=12,
)


@sqlite_only
def test_writers_taking_turns_find_each_others_newest_events(
    usage_world: UsageWorld, event: Callable[..., Any], engine: Engine
) -> None:
    """A writer's memory learns its own committed rows without reading them back
    (``keys.publish``); the rows another process stores right after still reach it."""
    other = open_engine(str(engine.url))
    try:
        services = [usage_world.service, IngestService(other)]
        sent = [[event(id=f"turn-{n}")] for n in range(4)]
        for n, batch in enumerate(sent):  # each writer in turn stores a new event
            assert _counts(services[n % 2].accept_body(usage_world.workspace_id, msgspec.json.encode(batch),
                                                       BATCH)) == (1, 0, 0)
        for n, batch in enumerate(sent):  # and finds every one, its own and the other's
            for service in services:
                assert _counts(service.accept_body(usage_world.workspace_id, msgspec.json.encode(batch),
                                                   BATCH)) == (0, 1, 0), n
        assert _stored(engine, usage_world.workspace_id) == 4
    finally:
        other.dispose()


@sqlite_only
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=_ACTIONS)
def test_any_mix_of_writers_merges_and_rollbacks_matches_a_model(
    usage_world: UsageWorld, event: Callable[..., Any], engine: Engine, actions: list[Any]
) -> None:
    """Two writers (engines: two processes' memories) send keys 0-7 in two payload
    variants, merge, settle, or store and roll back, in any order; every answer must be
    what a plain dictionary of stored keys says."""
    prefix = uuid.uuid4().hex[:8]  # a fresh key space for each example, on the same database
    moment = event()["time"]  # one time for all: a payload differs only by its variant
    engines = [engine, open_engine(str(engine.url))]
    services = [usage_world.service, IngestService(engines[1])]
    model: dict[int, int] = {}
    try:
        for action, who, pairs in actions:
            events = [event(id=f"{prefix}-{k}", time=moment, data={"tokens": 10 + variant, "region": "eu", "user": "u",
                                                      "latency": 1}) for k, variant in pairs]
            if action == "merge":
                _merge(engines[who])
            elif action == "settle":
                with engines[who].begin() as conn:
                    settle_keys(conn)
            elif action == "roll_back":
                _store_and_roll_back(UsageWorld(engines[who], usage_world.workspace_id, {}, services[who]), events)
            else:
                body = msgspec.json.encode(events)
                got = _counts(services[who].accept_body(usage_world.workspace_id, body, BATCH))
                expected = [0, 0, 0]
                for k, variant in pairs:
                    if k not in model:
                        model[k] = variant
                        expected[0] += 1
                    else:
                        expected[1 if model[k] == variant else 2] += 1
                assert got == tuple(expected)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(usage_events).where(
                usage_events.c.event_id.like(f"{prefix}-%"))).scalar_one()
        assert stored == len(model)
    finally:
        engines[1].dispose()


def _store_and_roll_back(world: UsageWorld, events: list[dict[str, Any]]) -> None:
    """What a dry-run import does: store a batch in a transaction, then roll it back."""
    now = utcnow()
    with world.engine.connect() as conn:
        tx = conn.begin()
        result = ingest_body(msgspec.json.encode(events), BATCH, rules=world.service.rules(conn, world.workspace_id),
                             customer_of=world.service.customer_lookup(conn, world.workspace_id), now=now)
        store_batch(Scope(conn, world.workspace_id, "test", now), result, "test")
        tx.rollback()


def test_upgrading_a_database_merges_the_keys_and_times_it_holds(tmp_path: Any) -> None:
    from revbridge.ingest.keys import key_hash, stored_keys
    from revbridge.store.migrate import upgrade
    from revbridge.workspaces import create_workspace

    engine = open_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, "0007")
        with engine.begin() as conn:
            ws = create_workspace(conn, "old", utcnow())["id"]
            conn.exec_driver_sql(
                "INSERT INTO usage_events (workspace_id, source, event_id, type, customer_id, time, digest, payload, "
                "received_at, late) VALUES (?, 'app', 'old-1', 'api.request', 'cus_1', '2026-01-01T00:00:00.000000Z', "
                "'d', x'7b7d', '2026-01-01T00:00:00.000000Z', 0)", (ws,))
        upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(select(usage_event_keys.c.key_hash, usage_event_keys.c.event_row)).all() == [
                (key_hash("app", "old-1"), 1)]
            assert stored_keys(conn, ws, [("app", "old-1")], [key_hash("app", "old-1")]) == {("app", "old-1"): ("d", 1)}
            assert conn.execute(select(usage_event_times)).all() == [
                (ws, "api.request", datetime(2026, 1, 1, tzinfo=UTC), "cus_1", 1)]
            conn.exec_driver_sql("DELETE FROM usage_events")  # ids are never reused after the rebuild
            conn.exec_driver_sql(
                "INSERT INTO usage_events (workspace_id, source, event_id, type, customer_id, time, digest, payload, "
                "received_at, late) VALUES (?, 'app', 'new', 'api.request', 'cus_1', '2026-01-01T00:00:00.000000Z', "
                "'d', x'7b7d', '2026-01-01T00:00:00.000000Z', 0)", (ws,))
            assert conn.exec_driver_sql("SELECT id FROM usage_events").scalar_one() == 2
    finally:
        engine.dispose()


@sqlite_only
def test_recent_keys_settle_once_they_are_many(
    usage_world: UsageWorld, event: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Young keys merge into the recent table at a fixed count, whatever the size of the
    database; the recent ones settle once they are many, with the keys just merged."""
    from revbridge.ingest.keys import merge_due

    monkeypatch.setattr(keys_module, "KEYS_MERGE_AT", 2)
    monkeypatch.setattr(keys_module, "SETTLE_AT", 5)
    sent = [event(id=f"s{n}") for n in range(6)]
    usage_world.send(sent[:3])
    with usage_world.engine.begin() as conn:
        assert merge_due(conn) == 3  # young into recent; 3 recent keys do not settle yet
    assert _sizes(usage_world.engine) == (0, 3)
    usage_world.send(sent[3:])
    with usage_world.engine.begin() as conn:
        assert merge_due(conn) == 3 + 6  # 3 more into recent, then all 6 settle
    assert _sizes(usage_world.engine) == (6, 0)
    assert _counts(usage_world.send(sent)) == (0, 6, 0)
