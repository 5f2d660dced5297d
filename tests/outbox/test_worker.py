"""Workers on both backends: delivery, retries, dead letters, ordering, leases, shutdown."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, update

from revbridge.outbox import (
    Job,
    PermanentError,
    RateLimited,
    RecordingSink,
    Registry,
    RetryPolicy,
    Worker,
    WorkerOptions,
)
from revbridge.outbox.handlers import permanent
from revbridge.outbox.tables import outbox_jobs
from revbridge.scope import Scope, utcnow
from revbridge.store.tables import audit_log

from .conftest import FakeClock, Jobs

MakeWorker = Callable[..., Worker]


def test_a_job_is_delivered_once_and_marked_done(jobs: Jobs, sink: RecordingSink, make_worker: MakeWorker) -> None:
    job_id = jobs.add("invoice:INV-1:v1", payload={"invoice_id": "inv_1"})
    assert make_worker().drain() == 1
    row = jobs.row(job_id)
    assert (row.state, row.attempts, row.locked_by, row.done_at) == ("done", 1, None, jobs.clock.now)
    assert sink.effects == {"invoice:INV-1:v1": 1}
    assert make_worker().drain() == 0


def test_enqueue_is_idempotent_by_key(jobs: Jobs) -> None:
    assert jobs.add("same") == jobs.add("same")
    assert jobs.states() == {"pending": 1}


def test_a_handler_sees_identity_payload_and_attempt(engine: Engine, jobs: Jobs, make_worker: MakeWorker) -> None:
    seen: list[Job] = []
    registry = Registry().on("recording", "test.kind", seen.append)
    from revbridge.log import log_context

    with log_context(correlation_id="req-42"):
        job_id = jobs.add("k1", aggregate="cus_1", payload={"customer_id": "cus_1"})
    make_worker(registry=registry).drain()
    (job,) = seen
    assert (job.id, job.kind, job.key, job.aggregate, job.attempt, job.correlation_id) == (
        job_id, "test.kind", "k1", "cus_1", 1, "req-42")
    assert job.payload == {"customer_id": "cus_1"} and job.workspace_id == jobs.workspace_id


def test_a_sink_failing_k_times_ends_done_after_k_retries_with_backoff(
    jobs: Jobs, clock: FakeClock, make_worker: MakeWorker
) -> None:
    flaky = RecordingSink(fail_first=3)
    worker = make_worker(registry=Registry().add_sink(flaky), policy=RetryPolicy(base=1.0, cap=8.0, max_attempts=5))
    job_id = jobs.add("k")
    delays = []
    for _ in range(3):
        assert worker.drain() == 1
        row = jobs.row(job_id)
        assert row.state == "pending" and "not reachable" in row.last_error
        delays.append((row.next_attempt_at - clock.now).total_seconds())
        assert worker.drain() == 0  # not due before its backoff
        clock.advance(8.0)
    assert worker.drain() == 1
    row = jobs.row(job_id)
    assert (row.state, row.attempts) == ("done", 4)
    assert flaky.effects == {"k": 1} and flaky.attempts_seen == [1, 2, 3, 4]
    assert all(0 <= d <= cap for d, cap in zip(delays, (1.0, 2.0, 4.0), strict=True))


def test_retry_after_is_a_floor(jobs: Jobs, clock: FakeClock, make_worker: MakeWorker) -> None:
    limited = RecordingSink(fail_first=1, error=lambda job: RateLimited("429", retry_after=90))
    job_id = jobs.add("k")
    make_worker(registry=Registry().add_sink(limited)).drain()
    assert (jobs.row(job_id).next_attempt_at - clock.now).total_seconds() == 90


def test_permanent_failure_is_dead_at_once_and_listed_as_an_exception(
    jobs: Jobs, scope_in: Callable[..., Scope], make_worker: MakeWorker
) -> None:
    from revbridge.outbox import dead_job_exceptions

    bad = RecordingSink(fail_first=99, error=permanent("partner has no VAT number"))
    job_id = jobs.add("k", aggregate="cus_9")
    make_worker(registry=Registry().add_sink(bad)).drain()
    row = jobs.row(job_id)
    assert (row.state, row.attempts) == ("dead", 1)
    assert row.last_error == "permanent: PermanentError: partner has no VAT number"
    with scope_in(jobs.workspace_id) as scope:
        (exception,) = dead_job_exceptions(scope)
    assert exception["id"] == f"job:{job_id}" and (exception["kind"], exception["reason"]) == ("outbox_job", "dead_job")
    assert "VAT" in exception["problems"][0]["reason"] and exception["job"]["aggregate"] == "cus_9"


def test_retryable_failures_die_when_the_kind_budget_is_spent(
    jobs: Jobs, clock: FakeClock, make_worker: MakeWorker
) -> None:
    down = RecordingSink(fail_first=99)
    policy = RetryPolicy(base=1.0, cap=1.0, max_attempts=5, max_attempts_by_kind={"crm.deal": 2})
    worker = make_worker(registry=Registry().add_sink(down), policy=policy)
    job_id = jobs.add("k", kind="crm.deal")
    for _ in range(3):
        worker.drain()
        clock.advance(1.0)
    row = jobs.row(job_id)
    assert (row.state, row.attempts) == ("dead", 2) and row.last_error.startswith("gave up after 2 attempts")


def test_a_kind_without_handler_is_dead_and_an_unknown_sink_is_left_alone(
    jobs: Jobs, make_worker: MakeWorker
) -> None:
    registry = Registry().on("recording", "known", lambda job: None)
    unknown_kind = jobs.add("a", kind="mystery")
    other_sink = jobs.add("b", sink="odoo")
    make_worker(registry=registry).drain()
    assert jobs.row(unknown_kind).state == "dead"
    assert "no handler for kind 'mystery'" in jobs.row(unknown_kind).last_error
    assert jobs.row(other_sink).state == "pending"  # a worker serving odoo will take it


def test_an_earlier_job_blocks_its_aggregate_until_done(
    jobs: Jobs, engine: Engine, scope_in: Callable[..., Scope], make_worker: MakeWorker
) -> None:
    from revbridge.outbox import replay_jobs

    calls: list[str] = []
    broken = {"invoice"}

    def handler(job: Job) -> None:
        if job.key in broken:
            raise PermanentError("account 4000 is not mapped")
        calls.append(job.key)

    registry = Registry().on("recording", "*", handler)
    first = jobs.add("invoice", aggregate="inv_1")
    second = jobs.add("payment", aggregate="inv_1")
    other = jobs.add("unrelated", aggregate="inv_2")
    worker = make_worker(registry=registry)
    worker.drain()
    assert jobs.row(first).state == "dead"
    assert jobs.row(second).state == "pending"  # the payment waits behind the dead invoice
    assert calls == ["unrelated"] and jobs.row(other).state == "done"
    broken.clear()  # the mapping is fixed
    with scope_in(jobs.workspace_id, jobs.clock.now) as scope:
        assert replay_jobs(scope, [first]) == [first]
    worker.drain()
    assert calls == ["unrelated", "invoice", "payment"]


def test_order_per_aggregate_holds_under_four_concurrent_loops(
    jobs: Jobs, make_worker: MakeWorker
) -> None:
    sink = RecordingSink(delay=0.001)
    ids = jobs.many(120, aggregates=12)
    worker = make_worker(registry=Registry().add_sink(sink), real_clock=True,
                         options=WorkerOptions(concurrency=4, batch_size=4, poll_max=0.01))
    worker.start()
    deadline = time.monotonic() + 30
    while len(sink.effects) < len(ids) and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    assert len(sink.effects) == len(ids) and set(sink.effects.values()) == {1}
    per_aggregate: dict[str, list[int]] = {}
    for aggregate, key in sink.log:
        per_aggregate.setdefault(aggregate, []).append(int(key[1:]))
    assert len(per_aggregate) == 12
    assert all(seq == sorted(seq) and len(seq) == 10 for seq in per_aggregate.values())
    assert jobs.states() == {"done": 120}


def test_an_expired_lease_is_claimed_again_and_counts_an_attempt(
    jobs: Jobs, engine: Engine, clock: FakeClock, make_worker: MakeWorker, sink: RecordingSink
) -> None:
    job_id = jobs.add("k")
    options = WorkerOptions(lease_seconds=30)
    dying = make_worker(options=options, worker_id="dying")
    now = clock()
    with engine.begin() as conn:  # claim as a worker that then dies without a word
        from revbridge.outbox.claim import claim

        (claimed,) = claim(conn, dying.id, ["recording"], 10, now, dying._lease)
    survivor = make_worker(options=options, worker_id="survivor")
    assert survivor.drain() == 0  # the lease still holds
    clock.advance(31)
    assert survivor.drain() == 1
    row = jobs.row(job_id)
    assert (row.state, row.attempts) == ("done", 2) and sink.attempts_seen == [2]
    with engine.begin() as conn:  # the dead worker's late outcome cannot overwrite the survivor's
        from revbridge.outbox.claim import bury

        assert not bury(conn, "dying", claimed.id, clock(), "late")
    assert jobs.row(job_id).state == "done"


def test_a_job_whose_workers_keep_dying_is_dead_after_its_budget(
    jobs: Jobs, engine: Engine, clock: FakeClock, make_worker: MakeWorker
) -> None:
    job_id = jobs.add("poison")
    with engine.begin() as conn:
        conn.execute(update(outbox_jobs).where(outbox_jobs.c.id == job_id).values(attempts=5, state="running"))
    make_worker(policy=RetryPolicy(max_attempts=5)).drain()
    row = jobs.row(job_id)
    assert row.state == "dead" and "lease expired" in row.last_error


def test_heartbeat_extends_the_lease_of_held_jobs(jobs: Jobs, engine: Engine, clock: FakeClock,
                                                  make_worker: MakeWorker) -> None:
    from revbridge.outbox.claim import claim, extend

    job_id = jobs.add("k")
    worker = make_worker(options=WorkerOptions(lease_seconds=10))
    with engine.begin() as conn:
        claim(conn, worker.id, ["recording"], 10, clock(), worker._lease)
    clock.advance(8)
    with engine.begin() as conn:
        assert extend(conn, "someone-else", [job_id], clock(), worker._lease) == 0
        assert extend(conn, worker.id, [job_id], clock(), worker._lease) == 1
    clock.advance(8)
    assert make_worker(worker_id="other").drain() == 0  # 16 s after the claim, still leased


def test_stop_finishes_the_job_in_hand_and_hands_back_the_rest(
    jobs: Jobs, make_worker: MakeWorker
) -> None:
    slow = RecordingSink(delay=0.2)
    jobs.many(5, aggregates=5)
    worker = make_worker(registry=Registry().add_sink(slow), real_clock=True,
                         options=WorkerOptions(batch_size=5, poll_max=0.01))
    worker.start()
    deadline = time.monotonic() + 5
    while not slow.calls and time.monotonic() < deadline:
        time.sleep(0.005)
    worker.stop()
    states = jobs.states()
    delivered = sum(slow.effects.values())
    assert 1 <= delivered < 5
    assert states == {"done": delivered, "pending": 5 - delivered}
    for job_id in jobs.ids:
        row = jobs.row(job_id)
        assert row.locked_by is None and row.attempts == (1 if row.state == "done" else 0)


def test_an_in_transaction_sink_commits_its_effect_with_done(
    engine: Engine, jobs: Jobs, make_worker: MakeWorker
) -> None:
    from revbridge import audit

    def post(scope: Scope, job: Job) -> None:
        audit.record(scope, "ledger.post", "outbox_job", job.key)
        if job.key == "bad":
            raise PermanentError("unbalanced entry")

    registry = Registry().on_in_transaction("ledger", "*", post)
    good = jobs.add("good", sink="ledger")
    bad = jobs.add("bad", sink="ledger", aggregate="other")
    make_worker(registry=registry).drain()
    assert jobs.row(good).state == "done" and jobs.row(bad).state == "dead"
    with engine.connect() as conn:
        posted = conn.execute(audit_log.select().where(audit_log.c.action == "ledger.post")).all()
    assert [r.entity_id for r in posted] == ["good"]  # the failed one's write rolled back


def test_the_heartbeat_keeps_a_slow_job_from_being_taken_over(jobs: Jobs, make_worker: MakeWorker) -> None:
    slow = RecordingSink(delay=0.8)
    job_id = jobs.add("slow")
    options = WorkerOptions(lease_seconds=0.3, poll_max=0.01)
    worker = make_worker(registry=Registry().add_sink(slow), real_clock=True, options=options)
    rival = make_worker(registry=Registry().add_sink(slow), real_clock=True, options=options, worker_id="rival")
    worker.start()
    deadline = time.monotonic() + 5
    while not slow.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # well past the first lease
    assert rival.drain() == 0
    while not slow.effects and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    row = jobs.row(job_id)
    assert (row.state, row.attempts) == ("done", 1) and slow.effects == {"slow": 1}


def _started_within(sink: RecordingSink, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not sink.effects and time.monotonic() < deadline:
        time.sleep(0.005)
    return bool(sink.effects)


def test_an_enqueue_wakes_an_idle_worker_at_once(
    engine: Engine, jobs: Jobs, make_worker: MakeWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With polling slowed to 10 s, only the wake-up can start the job quickly: the commit hook
    in this process, and on PostgreSQL NOTIFY (tested alone, with the local hook disabled)."""
    from revbridge.outbox import wakeup

    if engine.dialect.name == "postgresql":
        monkeypatch.setattr(wakeup, "wake_local", lambda: None)
    sink = RecordingSink()
    worker = make_worker(registry=Registry().add_sink(sink), real_clock=True,
                         options=WorkerOptions(poll_min=10.0, poll_max=10.0))
    worker.start()
    time.sleep(0.3)  # the loop has polled once and sleeps for 10 s
    jobs.clock.now = utcnow()
    jobs.add("wake-up")
    assert _started_within(sink, 3.0)
