"""Exactly once across processes, and the conservation law across HTTP and file import."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select

from revbridge.ingest.readers import read_events
from revbridge.ingest.service import IngestService
from revbridge.ingest.store import Counts, counters
from revbridge.ingest.tables import exceptions, usage_events
from revbridge.scope import transaction
from revbridge.store.engine import open_engine

from .store_fixtures import BATCH, UsageWorld


def _send(url: str, workspace_id: str, body: bytes, start: Any, out: Any) -> None:
    engine = open_engine(url)
    start.wait()
    outcome = IngestService(engine).accept_body(workspace_id, body, BATCH)
    out.put(outcome.counts.as_dict())
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)  # SQLite has one writer; PG has many
def test_two_processes_sending_the_same_events_store_them_once(
    usage_world: UsageWorld, event: Callable[..., Any], pg_url: str
) -> None:
    body = msgspec.json.encode([event(id=f"same-{n}") for n in range(300)])
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_send, args=(pg_url, usage_world.workspace_id, body, start, out)) for _ in range(2)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert sorted((r["accepted"], r["duplicate"]) for r in results) in ([(0, 300), (300, 0)], )
    with usage_world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(usage_events)).scalar_one() == 300


def test_conservation_across_http_and_file_import(
    usage_world: UsageWorld, event: Callable[..., Any], tmp_path: Path
) -> None:
    shared = event(id="shared")
    usage_world.send([shared, event(id="h1"), event(subject="ghost"), shared])
    changed = {**shared, "data": {**shared["data"], "tokens": 11}}
    lines = [json.dumps(shared), json.dumps(changed), json.dumps(event(id="f1")), "{broken", json.dumps(event(type="x"))]
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(lines) + "\n")
    total = Counts()
    for _ in range(2):  # importing the same file twice counts nothing twice
        for _, outcome in usage_world.service.import_batches(usage_world.workspace_id, read_events(path)):
            total.add(outcome.counts)
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        day = counters(scope)[0]
        stored = scope.conn.execute(select(func.count()).select_from(usage_events)).scalar_one()
        kept = scope.conn.execute(select(func.count()).select_from(exceptions)).scalar_one()
    assert day["received"] == day["accepted"] + day["duplicate"] + day["rejected"] == 14
    assert day["accepted"] == stored == 3  # shared, h1, f1
    assert day["rejected"] == kept == 7  # ghost; 2 x (conflict, broken line, unknown type)
    assert (total.accepted, total.duplicate) == (1, 3)


def test_dry_run_stores_nothing(usage_world: UsageWorld, event: Callable[..., Any], tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(json.dumps(event()) for _ in range(5)) + "\n{bad\n")
    results = list(usage_world.service.import_batches(usage_world.workspace_id, read_events(path), dry_run=True))
    assert sum(o.counts.accepted for _, o in results) == 5 and sum(o.counts.rejected for _, o in results) == 1
    with usage_world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(usage_events)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(exceptions)).scalar_one() == 0


def test_an_import_in_several_transactions_counts_each_batch_once(
    usage_world: UsageWorld, event: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revbridge.ingest import service

    monkeypatch.setattr(service, "IMPORT_TRANSACTION_EVENTS", 3)  # commit every other batch of 2
    monkeypatch.setattr(service, "STORE_GROUP_EVENTS", 1)  # and store each batch by itself
    lines = [json.dumps(event(id=f"g{n % 5}")) for n in range(9)] + ["{bad"]
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(lines) + "\n")
    yielded = list(usage_world.service.import_batches(usage_world.workspace_id, read_events(path, batch_size=2)))
    assert [n for n, _ in yielded] == [2, 2, 2, 2, 2]
    total = Counts()
    for _, outcome in yielded:
        total.add(outcome.counts)
    assert (total.received, total.accepted, total.duplicate, total.rejected) == (10, 5, 4, 1)
    with transaction(usage_world.engine, usage_world.workspace_id, "t") as scope:
        assert counters(scope)[0]["received"] == 10
        assert scope.conn.execute(select(func.count()).select_from(usage_events)).scalar_one() == 5


def test_a_failed_import_keeps_what_it_committed(
    usage_world: UsageWorld, event: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revbridge.ingest import service

    monkeypatch.setattr(service, "IMPORT_TRANSACTION_EVENTS", 2)
    monkeypatch.setattr(service, "STORE_GROUP_EVENTS", 1)
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(json.dumps(event()) for _ in range(5)) + "\n")

    def batches() -> Any:
        yield from read_events(path, batch_size=2)
        raise OSError("disk gone")

    seen = []
    with pytest.raises(OSError):
        for n, _ in usage_world.service.import_batches(usage_world.workspace_id, batches()):
            seen.append(n)
    with usage_world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(usage_events)).scalar_one() == sum(seen) == 4
