"""A file import validated in a second process (``ingest.handover``): the same outcome
as validating in a thread, errors raised where the import runs, no process left behind."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from revbridge.errors import ValidationError
from revbridge.ingest.handover import database_url_of
from revbridge.ingest.readers import ColumnMapping
from revbridge.ingest.store import Counts, counters
from revbridge.ingest.tables import exceptions, usage_events
from revbridge.scope import transaction
from revbridge.store.engine import open_engine

from .store_fixtures import UsageWorld


@pytest.fixture
def handing_over(usage_world: UsageWorld, monkeypatch: pytest.MonkeyPatch) -> UsageWorld:
    from revbridge.ingest import service

    usage_world.service.handover_from_bytes = 0  # every file, however small
    monkeypatch.setattr(service, "STORE_GROUP_EVENTS", 1)  # each batch stored, and its outcome yielded, by itself
    return usage_world


def _import(world: UsageWorld, path: Path, batch_size: int = 2, **kwargs: Any) -> tuple[Counts, list[int]]:
    total, records = Counts(), []
    for n, outcome in world.service.import_file(world.workspace_id, path, batch_size=batch_size, **kwargs):
        total.add(outcome.counts)
        records.append(n)
    return total, records


def _gone() -> bool:
    return not [p for p in multiprocessing.active_children() if p.name == "revbridge-import-validate"]


def test_a_file_validated_in_a_second_process_counts_like_one_validated_in_a_thread(
    handing_over: UsageWorld, event: Callable[..., Any], tmp_path: Path
) -> None:
    world = handing_over
    shared = event(id="shared")
    world.send([shared])
    changed = {**shared, "data": {**shared["data"], "tokens": 11}}
    lines = [json.dumps(shared), json.dumps(changed), json.dumps(event(id="f1")), "{broken",
             json.dumps(event(type="x")), json.dumps(event(id="f1")), json.dumps(event(id="f2", subject="globex"))]
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(lines) + "\n")

    total, records = _import(world, path)

    assert records == [2, 2, 2, 1]
    assert (total.received, total.accepted, total.duplicate, total.rejected) == (7, 2, 2, 3)
    assert _gone()
    with transaction(world.engine, world.workspace_id, "t") as scope:
        day = counters(scope)[0]
        assert day["received"] == day["accepted"] + day["duplicate"] + day["rejected"] == 8
        stored = scope.conn.execute(select(usage_events.c.event_id, usage_events.c.customer_id)).all()
        assert sorted(stored) == [("f1", world.customers["acme"]), ("f2", world.customers["globex"]),
                                  ("shared", world.customers["acme"])]
        reasons = sorted(scope.conn.execute(select(exceptions.c.reason, exceptions.c.origin)).all())
        assert reasons == [("bad_field", f"{path}:4"), ("conflict", str(path)), ("unknown_type", f"{path}:5")]

    again, _ = _import(world, path)  # the same file again: nothing counted twice
    assert (again.accepted, again.duplicate, again.rejected) == (0, 4, 3)


def test_the_validating_process_sees_a_customer_created_during_the_import(
    handing_over: UsageWorld, event: Callable[..., Any], tmp_path: Path, scope_in: Callable[..., Any]
) -> None:
    from revbridge.catalog.customers import create_customer

    path = tmp_path / "usage.jsonl"
    path.write_text(json.dumps(event(id="early")) + "\n" + json.dumps(event(id="new", subject="newco")) + "\n")
    with scope_in(handing_over.workspace_id) as scope:
        create_customer(scope, {"key": "newco", "name": "NewCo", "country": "US"})
    total, _ = _import(handing_over, path, batch_size=1)
    assert total.accepted == 2


def test_an_error_in_the_validating_process_is_raised_by_the_import(
    handing_over: UsageWorld, tmp_path: Path
) -> None:
    path = tmp_path / "usage.csv"
    path.write_text("id,source,type,time\n1,app,api.request,2025-01-01T00:00:00Z\n")  # no subject column
    with pytest.raises(ValidationError) as raised:
        _import(handing_over, path, mapping=ColumnMapping())
    assert "subject" in str(raised.value)
    assert raised.value.problems
    assert _gone()


def test_an_import_stopped_early_stops_its_validating_process(
    handing_over: UsageWorld, event: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revbridge.ingest import service

    monkeypatch.setattr(service, "IMPORT_TRANSACTION_EVENTS", 5)  # a commit, and an outcome, every batch
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(json.dumps(event()) for _ in range(200)) + "\n")
    batches = handing_over.service.import_file(handing_over.workspace_id, path, batch_size=5)
    next(batches)
    batches.close()
    assert _gone()
    with handing_over.engine.connect() as conn:  # what was committed stays; the rest was never stored
        assert conn.execute(select(func.count()).select_from(usage_events)).scalar_one() == 5


def test_a_validating_process_that_dies_fails_the_import(
    handing_over: UsageWorld, event: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revbridge.ingest import service

    monkeypatch.setattr(service, "IMPORT_TRANSACTION_EVENTS", 2)  # the child is still at work after one batch
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(json.dumps(event()) for _ in range(200)) + "\n")
    batches = handing_over.service.import_file(handing_over.workspace_id, path, batch_size=2)
    next(batches)
    (child,) = [p for p in multiprocessing.active_children() if p.name == "revbridge-import-validate"]
    child.kill()
    with pytest.raises(RuntimeError, match="ended unexpectedly"):
        for _ in batches:
            pass


def test_only_a_database_another_process_can_open_is_handed_over(tmp_path: Path) -> None:
    assert database_url_of(open_engine("sqlite://")) is None
    assert database_url_of(open_engine("sqlite:///:memory:")) is None
    assert database_url_of(open_engine(f"sqlite:///{tmp_path}/x.db")) == f"sqlite:///{tmp_path}/x.db"
    assert database_url_of(open_engine("postgresql://u:secret@127.0.0.1/db")) == \
        "postgresql+psycopg://u:secret@127.0.0.1/db"


def test_batches_stored_together_count_and_point_at_their_records_as_apart(
    handing_over: UsageWorld, event: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revbridge.ingest import service

    monkeypatch.setattr(service, "STORE_GROUP_EVENTS", 4)  # two batches of 2 a group
    lines = [json.dumps(event(id="a")), json.dumps(event(id="b")), json.dumps(event(id="a")), "{broken",
             json.dumps(event(id="c")), json.dumps(event(type="x")), json.dumps(event(id="d"))]
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(lines) + "\n")
    outcomes = list(handing_over.service.import_file(handing_over.workspace_id, path, batch_size=2))
    assert [n for n, _ in outcomes] == [4, 3]
    assert [(o.counts.accepted, o.counts.duplicate, o.counts.rejected) for _, o in outcomes] == [(2, 1, 1), (2, 0, 1)]
    assert [[e["index"] for e in o.errors] for _, o in outcomes] == [[3], [1]]  # its place in the group stored


def test_records_accepted_as_rows_are_the_rows_of_the_events(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from revbridge.ingest.envelope import RawRecord, ingest_records
    from revbridge.ingest.rows import EventRows

    now = datetime.now(UTC)
    an_hour_ago_in_paris = (now - timedelta(hours=1)).astimezone(timezone(timedelta(hours=1))).isoformat()
    typed = [RawRecord(json.dumps(event(id=f"t{n}")).encode(), f"f:{n}") for n in range(3)]
    precise = [RawRecord({**event(id="p1"), "traceparent": "00-ab"}, "f:4"),  # a record built from columns
               RawRecord(json.dumps({**event(id="p2"), "time": an_hour_ago_in_paris}).encode(), "f:5")]
    service = usage_world.service
    with usage_world.engine.connect() as conn:
        rules = service.rules(conn, usage_world.workspace_id)
        lookup = service.customer_lookup(conn, usage_world.workspace_id)
    events = ingest_records(typed + precise, rules=rules, customer_of=lookup, now=now)
    rows = ingest_records(typed + precise, rules=rules, customer_of=lookup, now=now, rows=True)
    assert len(events.accepted) == 5
    assert rows.accepted == EventRows.of(events.accepted)  # type: ignore[arg-type]


def test_integer_quantities_judged_as_rows_are_judged_as_events(usage_world: UsageWorld, event: Callable[..., Any]) -> None:
    """Rows keep an in-range integer quantity as it is (its payload spells it as its
    Decimal would): the same payloads and digests, and the same refusals at the range's edges."""
    from datetime import UTC, datetime

    from revbridge.ingest.envelope import RawRecord, ingest_records
    from revbridge.ingest.quantity import MAX_MAGNITUDE
    from revbridge.ingest.rows import EventRows

    values = [0, -1, 7, 10, MAX_MAGNITUDE - 1, -(MAX_MAGNITUDE - 1), MAX_MAGNITUDE, -MAX_MAGNITUDE, 2**63, -(2**70)]
    data = event()["data"]
    records = [RawRecord(json.dumps(event(id=f"q{n}", data={**data, "tokens": v})).encode(), f"f:{n}")
               for n, v in enumerate(values)]
    records.append(RawRecord(event(id="columns", data={**data, "tokens": 12}), "f:x"))  # the precise path
    service = usage_world.service
    with usage_world.engine.connect() as conn:
        rules = service.rules(conn, usage_world.workspace_id)
        lookup = service.customer_lookup(conn, usage_world.workspace_id)
    now = datetime.now(UTC)
    events = ingest_records(records, rules=rules, customer_of=lookup, now=now)
    rows = ingest_records(records, rules=rules, customer_of=lookup, now=now, rows=True)
    assert rows.accepted == EventRows.of(events.accepted)  # type: ignore[arg-type]
    assert [e.id for e in events.accepted] == [f"q{n}" for n in range(6)] + ["columns"]  # type: ignore[union-attr]
    assert [(r.index, r.problems) for r in rows.rejected] == [(r.index, r.problems) for r in events.rejected]
    assert [r.index for r in rows.rejected] == [6, 7, 8, 9]


def test_a_csv_file_with_a_mapping_is_handed_over_too(handing_over: UsageWorld, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    moment = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    path = tmp_path / "usage.csv"
    path.write_text(f"event,tenant,at,tokens,user\nc1,tenant-acme,{moment},7,u1\nc2,nobody,{moment},8,u2\n")
    mapping = ColumnMapping(attributes={"id": "event", "subject": "tenant", "time": "at"}, numeric=frozenset({"tokens"}),
                            constants={"source": "export", "type": "api.request"})
    total, _ = _import(handing_over, path, mapping=mapping)
    assert (total.accepted, total.rejected) == (1, 1)
    with handing_over.engine.connect() as conn:
        assert conn.execute(select(usage_events.c.source, usage_events.c.event_id)).all() == [("export", "c1")]


def test_batches_of_two_days_are_never_stored_as_one() -> None:
    from datetime import UTC, datetime

    from revbridge.ingest.envelope import IngestResult
    from revbridge.ingest.handover import Validated
    from revbridge.ingest.service import _joined

    def batch(hour: int, day: int) -> Validated:
        return Validated(2, "f", IngestResult([], []), datetime(2026, 1, day, hour, tzinfo=UTC))

    groups = list(_joined([batch(23, 1), batch(23, 1), batch(0, 2), batch(0, 2), batch(0, 2)], 4))
    assert [(g.records, g.now.day) for g in groups] == [(4, 1), (4, 2), (2, 2)]
    groups = list(_joined([batch(22, 1), batch(23, 1), batch(0, 2)], 100))
    assert [(g.records, g.now.day) for g in groups] == [(4, 1), (2, 2)]
