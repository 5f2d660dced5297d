"""Outbox fixtures: a fake clock, a job factory and a worker factory over a recording sink."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from revbridge.outbox import RecordingSink, Registry, RetryPolicy, Worker, WorkerOptions, enqueue
from revbridge.outbox.tables import outbox_jobs
from revbridge.scope import transaction

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Jobs:
    """Enqueue jobs in a workspace and read their rows back."""

    engine: Engine
    workspace_id: str
    clock: FakeClock
    ids: list[int] = field(default_factory=list)

    def add(self, key: str, aggregate: str = "agg", kind: str = "test.kind", sink: str = "recording",
            payload: dict[str, Any] | None = None) -> int:
        with transaction(self.engine, self.workspace_id, "test", self.clock()) as scope:
            job_id = enqueue(scope, kind, key, aggregate, payload or {"key": key}, sink)
        self.ids.append(job_id)
        return job_id

    def many(self, count: int, aggregates: int = 1, **kw: Any) -> list[int]:
        """``count`` jobs in one transaction, spread round-robin over ``aggregates``."""
        with transaction(self.engine, self.workspace_id, "test", self.clock()) as scope:
            ids = [enqueue(scope, kw.get("kind", "test.kind"), f"k{n}", f"agg{n % aggregates}", {"n": n},
                           kw.get("sink", "recording")) for n in range(count)]
        self.ids.extend(ids)
        return ids

    def row(self, job_id: int) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(select(outbox_jobs).where(outbox_jobs.c.id == job_id)).one()

    def states(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox_jobs.c.state)).scalars().all()
        out: dict[str, int] = {}
        for state in rows:
            out[state] = out.get(state, 0) + 1
        return out


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def jobs(engine: Engine, workspace: str, clock: FakeClock) -> Jobs:
    return Jobs(engine, workspace, clock)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def make_worker(engine: Engine, sink: RecordingSink, clock: FakeClock) -> Iterator[Callable[..., Worker]]:
    """``make_worker(policy=..., options=..., registry=...)``: a worker on the fake clock and a seeded RNG."""
    started: list[Worker] = []

    def make(registry: Registry | None = None, policy: RetryPolicy | None = None,
             options: WorkerOptions | None = None, real_clock: bool = False, **kw: Any) -> Worker:
        worker = Worker(
            engine, registry or Registry().add_sink(sink),
            policy=policy or RetryPolicy(base=1.0, cap=60.0, max_attempts=5),
            options=options or WorkerOptions(batch_size=10),
            rng=random.Random(7), **({} if real_clock else {"clock": clock}), **kw,
        )
        started.append(worker)
        return worker

    yield make
    for worker in started:
        if worker._threads:
            worker.stop(timeout=10)
