"""Listing, retrying and replaying jobs, by id and by filter, on both backends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, update

from revbridge.errors import ConflictError, NotFoundError, ValidationError
from revbridge.outbox import JobFilter, Registry, Worker, get_job, list_jobs, replay_jobs, retry_job
from revbridge.outbox.failures import PermanentError
from revbridge.outbox.handlers import Job
from revbridge.outbox.tables import outbox_jobs
from revbridge.scope import Scope

from .conftest import FakeClock, Jobs

MakeWorker = Callable[..., Worker]


class Mapping:
    """A handler that fails for keys whose account is not mapped yet, and counts deliveries."""

    def __init__(self) -> None:
        self.unmapped: dict[str, str] = {}
        self.delivered: list[str] = []

    def __call__(self, job: Job) -> None:
        if job.key in self.unmapped:
            raise PermanentError(self.unmapped[job.key])
        self.delivered.append(job.key)


@pytest.fixture
def mapping() -> Mapping:
    return Mapping()


@pytest.fixture
def worker(make_worker: MakeWorker, mapping: Mapping) -> Worker:
    return make_worker(registry=Registry().on("recording", "*", mapping).on("crm", "*", mapping))


def _dead_mix(jobs: Jobs, clock: FakeClock, mapping: Mapping, worker: Worker) -> dict[str, int]:
    """Four jobs that die at two moments with two kinds of error, on two sinks."""
    mapping.unmapped = {"a": "account 4000 not mapped", "b": "account 4000 not mapped",
                        "c": "tax code missing", "d": "account 4000 not mapped"}
    ids = {"a": jobs.add("a", aggregate="1", kind="odoo.invoice"),
           "b": jobs.add("b", aggregate="2", kind="odoo.credit_note")}
    worker.drain()
    clock.advance(3600)
    ids["c"] = jobs.add("c", aggregate="3", kind="odoo.invoice")
    ids["d"] = jobs.add("d", aggregate="4", kind="odoo.invoice", sink="crm")
    worker.drain()
    ids["ok"] = jobs.add("ok", aggregate="5")
    worker.drain()
    return ids


def test_list_and_show(jobs: Jobs, clock: FakeClock, mapping: Mapping, worker: Worker,
                       scope_in: Callable[..., Scope]) -> None:
    ids = _dead_mix(jobs, clock, mapping, worker)
    with scope_in(jobs.workspace_id) as scope:
        dead, _ = list_jobs(scope, JobFilter(state="dead"))
        assert [r["id"] for r in dead] == sorted((ids[k] for k in "abcd"), reverse=True)
        first, cursor = list_jobs(scope, JobFilter(), limit=2)
        second, end = list_jobs(scope, JobFilter(), limit=10, cursor=cursor)
        assert len(first) == 2 and len(second) == 3 and end is None
        shown = get_job(scope, ids["a"])
        assert shown["last_error"] == "permanent: PermanentError: account 4000 not mapped"
        assert "workspace_id" not in shown
        with pytest.raises(NotFoundError):
            get_job(scope, 10**9)
        with pytest.raises(ValidationError):
            list_jobs(scope, JobFilter(state="lost"))


def test_jobs_of_another_workspace_are_invisible(
    jobs: Jobs, worker: Worker, workspace_factory: Callable[..., str], scope_in: Callable[..., Scope]
) -> None:
    job_id = jobs.add("mine")
    other = workspace_factory()
    with scope_in(other) as scope:
        assert list_jobs(scope)[0] == []
        with pytest.raises(NotFoundError):
            retry_job(scope, job_id)
        with pytest.raises(NotFoundError):
            replay_jobs(scope, [job_id])


def test_retry_keeps_attempts_and_replay_resets_them(
    jobs: Jobs, clock: FakeClock, mapping: Mapping, worker: Worker, scope_in: Callable[..., Scope]
) -> None:
    ids = _dead_mix(jobs, clock, mapping, worker)
    with scope_in(jobs.workspace_id, clock.now) as scope:
        assert retry_job(scope, ids["a"])["state"] == "pending"
        with pytest.raises(ConflictError):
            retry_job(scope, ids["ok"])
    worker.drain()  # still unmapped: dead again, two attempts spent
    assert (jobs.row(ids["a"]).state, jobs.row(ids["a"]).attempts) == ("dead", 2)
    mapping.unmapped.clear()
    with scope_in(jobs.workspace_id, clock.now) as scope:
        assert replay_jobs(scope, [ids["a"]]) == [ids["a"]]
    assert jobs.row(ids["a"]).attempts == 0
    with scope_in(jobs.workspace_id, clock.now) as scope, pytest.raises(ConflictError):
        replay_jobs(scope, [ids["a"]])  # pending now: in flight, not replayable
    worker.drain()
    assert (jobs.row(ids["a"]).state, jobs.row(ids["a"]).attempts) == ("done", 1)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (JobFilter(kind="odoo.invoice"), "acd"),
        (JobFilter(error="4000 not"), "abd"),
        (JobFilter(error="tax"), "c"),
        (JobFilter(sink="crm"), "d"),
        (JobFilter(kind="odoo.invoice", error="4000"), "ad"),
        (JobFilter(until="late"), "ab"),  # died before the hour passed
        (JobFilter(since="late"), "cd"),
    ],
)
def test_replay_by_filter(
    where: JobFilter, expected: str, jobs: Jobs, clock: FakeClock, mapping: Mapping, worker: Worker,
    scope_in: Callable[..., Scope], engine: Engine,
) -> None:
    from dataclasses import replace

    ids = _dead_mix(jobs, clock, mapping, worker)
    late = clock.now - __import__("datetime").timedelta(minutes=30)
    if where.since == "late":
        where = replace(where, since=late)
    if where.until == "late":
        where = replace(where, until=late)
    mapping.unmapped.clear()
    with scope_in(jobs.workspace_id, clock.now) as scope:
        replayed = replay_jobs(scope, where=where)
    assert replayed == sorted(ids[k] for k in expected)
    worker.drain()
    assert sorted(mapping.delivered) == sorted(["ok", *expected])
    with scope_in(jobs.workspace_id) as scope:
        still_dead = {r["key"] for r in list_jobs(scope, JobFilter(state="dead"))[0]}
    assert still_dead == set("abcd") - set(expected)


def test_replay_of_done_jobs_must_be_asked_for(
    jobs: Jobs, clock: FakeClock, mapping: Mapping, worker: Worker, scope_in: Callable[..., Scope]
) -> None:
    ids = _dead_mix(jobs, clock, mapping, worker)
    with scope_in(jobs.workspace_id, clock.now) as scope:
        assert ids["ok"] not in replay_jobs(scope, where=JobFilter(kind="test.kind"))
        assert replay_jobs(scope, where=JobFilter(kind="test.kind", state="done")) == [ids["ok"]]
        with pytest.raises(ValidationError):
            replay_jobs(scope, where=JobFilter(state="running"))
        with pytest.raises(ValidationError):
            replay_jobs(scope)
    worker.drain()
    assert mapping.delivered.count("ok") == 2


def test_retry_and_replay_are_audited(jobs: Jobs, engine: Engine, scope_in: Callable[..., Scope]) -> None:
    from revbridge.store.tables import audit_log

    job_id = jobs.add("k")
    with engine.begin() as conn:
        conn.execute(update(outbox_jobs).where(outbox_jobs.c.id == job_id).values(state="dead", last_error="x"))
    with scope_in(jobs.workspace_id) as scope:
        retry_job(scope, job_id)
    with engine.begin() as conn:
        conn.execute(update(outbox_jobs).where(outbox_jobs.c.id == job_id).values(state="dead"))
    with scope_in(jobs.workspace_id) as scope:
        replay_jobs(scope, where=JobFilter(error="x"))
    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(audit_log.select().order_by(audit_log.c.seq))]
    assert actions == ["job.retry", "job.replay"]
