"""Workers: claim due jobs in batches, deliver them, and record each outcome.

A job's life in a worker: a claim transaction marks a batch ``running`` under this
worker's lease; each handler then runs outside any transaction (it talks to another
system); the outcome is written in a transaction of its own, checked against the lease.
So a crash at any instant leaves the job either still running under a lease that will
expire (it runs again: delivery is at least once, and sinks are idempotent by key) or
with its outcome committed; never lost and never marked done without its effect.
A sink registered ``in_transaction`` writes its effect in the very transaction that
marks the job done, which makes its effect exactly once.

Successful jobs of a batch are marked done together (one statement per flush), which
is what makes a no-op sink run at thousands of jobs a second; a flush also happens
whenever ``flush_interval`` has passed, so a slow batch does not hold finished jobs.
Failures are written at once, with the retry policy's decision.

Idle workers poll with an interval that doubles from ``poll_min`` to ``poll_max`` and
drops back as soon as work appears; enqueues in this process and, on PostgreSQL,
NOTIFY wake them sooner (``wakeup.py``). A heartbeat thread extends the leases of the
jobs a worker holds. On SIGTERM or SIGINT the worker finishes the job in hand, marks
what it finished, hands back the jobs it had not started, and exits.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from revbridge.errors import ValidationError
from revbridge.log import log_context
from revbridge.outbox import claim as queue
from revbridge.outbox.failures import classify, describe
from revbridge.outbox.handlers import Job, Registry, Route
from revbridge.outbox.metrics import HANDLED, HANDLER_SECONDS
from revbridge.outbox.retry import Decision, RetryPolicy
from revbridge.outbox.wakeup import Listener, subscribe, unsubscribe
from revbridge.scope import Scope, utcnow

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker claims and paces itself; the defaults suit both backends."""

    concurrency: int = 1
    batch_size: int = 50
    lease_seconds: float = 30.0
    poll_min: float = 0.005
    poll_max: float | None = None  # None: 0.05 s on SQLite, 0.5 s on PostgreSQL (NOTIFY wakes it)
    flush_interval: float = 0.1

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValidationError("concurrency", "must be at least 1", self.concurrency)
        if self.batch_size < 1:
            raise ValidationError("batch_size", "must be at least 1", self.batch_size)
        if not self.lease_seconds > 0:
            raise ValidationError("lease_seconds", "must be more than 0", self.lease_seconds)


class LeaseLost(Exception):
    """Another worker took the job over while this one was delivering it."""


def worker_name() -> str:
    """``host:pid:random``: unique per worker start, readable in ``jobs list``."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Delivers the jobs of the sinks in ``registry`` from the outbox in ``engine``."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        *,
        policy: RetryPolicy | None = None,
        options: WorkerOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.policy = policy or RetryPolicy()
        self.options = options or WorkerOptions()
        self.id = worker_id or worker_name()
        self._clock = clock
        self._rng = rng or random.Random()
        self._lease = timedelta(seconds=self.options.lease_seconds)
        self._stopping = threading.Event()
        self._loops_ended = threading.Event()
        self._heart: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self._wakers: list[threading.Event] = []
        self._listener: Listener | None = None
        self._held: set[int] = set()
        self._held_lock = threading.Lock()
        self._local = threading.local()
        postgres = engine.dialect.name == "postgresql"
        self._poll_max = self.options.poll_max or (0.5 if postgres else 0.05)

    # one batch, synchronously: the unit the loops repeat, and what tests drive directly

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction on this thread's connection (a loop keeps one), or on a pooled one."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self.engine.begin() as pooled:
                yield pooled
        else:
            with conn.begin():
                yield conn

    def run_once(self) -> int:
        """Claim one batch and deliver it; returns how many jobs were claimed."""
        now = self._clock()
        with self._begin() as conn:
            queue.relax_durability(conn)
            jobs = queue.claim(conn, self.id, self.registry.sinks, self.options.batch_size, now, self._lease)
        if jobs:
            self._hold(jobs)
            try:
                self._deliver(jobs)
            finally:
                self._hold(jobs, held=False)
        return len(jobs)

    def drain(self, max_rounds: int = 10_000) -> int:
        """Run batches until none is claimable now; returns the jobs claimed (for tests and tools)."""
        total = 0
        for _ in range(max_rounds):
            claimed = self.run_once()
            if not claimed:
                break
            total += claimed
        return total

    def _deliver(self, jobs: Sequence[Job]) -> None:
        finished: list[int] = []
        last_flush = time.monotonic()
        for index, job in enumerate(jobs):
            if self._stopping.is_set():
                self._flush(finished)
                self._release(jobs[index:])
                return
            if self._handle(job):
                finished.append(job.id)
            if finished and time.monotonic() - last_flush >= self.options.flush_interval:
                self._flush(finished)
                finished = []
                last_flush = time.monotonic()
        self._flush(finished)

    def _handle(self, job: Job) -> bool:
        """Deliver one job; True when it waits in the batch to be marked done."""
        with log_context(correlation_id=job.correlation_id, workspace=job.workspace_id, job_id=job.id, kind=job.kind):
            budget = self.policy.attempts_for(job.kind)
            if job.attempt > budget:  # claimed again after its workers kept dying mid-job
                reason = f"gave up after {job.attempt - 1} attempts: its worker stopped before finishing (lease expired)"
                self._record_failure(job, Decision(True, 0.0, reason), 0.0)
                return False
            started = time.perf_counter()
            try:
                route = self.registry.route(job.sink, job.kind)
                if route.in_transaction:
                    self._deliver_in_transaction(route, job)
                else:
                    assert route.handler is not None
                    route.handler(job)
            except Exception as exc:  # noqa: BLE001 - every handler failure is classified, none escapes
                elapsed = time.perf_counter() - started
                self._record_failure(job, self.policy.decide(job.kind, job.attempt, classify(exc), self._rng), elapsed)
                return False
            elapsed = time.perf_counter() - started
            HANDLER_SECONDS.labels(job.kind, job.sink, "done").observe(elapsed)
            HANDLED.labels(job.kind, "done").inc()
            _log.debug("job delivered", extra={"attempt": job.attempt, "seconds": round(elapsed, 6)})
            return not route.in_transaction

    def _deliver_in_transaction(self, route: Route, job: Job) -> None:
        assert route.scoped is not None
        with self._begin() as conn:
            scope = Scope(conn, job.workspace_id, f"worker:{self.id}", self._clock())
            route.scoped(scope, job)
            if not queue.complete(scope.conn, self.id, [job.id], scope.now):
                raise LeaseLost(f"job {job.id} was taken over by another worker")

    def _record_failure(self, job: Job, decision: Decision, elapsed: float) -> None:
        outcome = "dead" if decision.dead else "retry"
        HANDLER_SECONDS.labels(job.kind, job.sink, outcome).observe(elapsed)
        HANDLED.labels(job.kind, outcome).inc()
        now = self._clock()
        with self._begin() as conn:
            if decision.dead:
                kept = queue.bury(conn, self.id, job.id, now, decision.reason)
            else:
                kept = queue.reschedule(conn, self.id, job.id, now, decision.delay, decision.reason, decision.uncount)
        extra = {"attempt": job.attempt, "error": decision.reason[:500]}
        if not kept:
            _log.warning("job outcome dropped: another worker holds the job now", extra=extra)
        elif decision.dead:
            _log.error("job dead", extra=extra)
        else:
            _log.warning("job failed, will retry", extra={**extra, "retry_in_seconds": round(decision.delay, 3)})

    def _flush(self, ids: list[int]) -> None:
        if not ids:
            return
        with self._begin() as conn:
            marked = queue.complete(conn, self.id, ids, self._clock())
        if marked < len(ids):
            _log.warning("some delivered jobs were taken over by another worker", extra={"jobs": len(ids) - marked})
        self._wake_all()  # a finished job may unblock the next job of its aggregate

    def _release(self, jobs: Sequence[Job]) -> None:
        if jobs:
            with self._begin() as conn:
                queue.release(conn, self.id, [j.id for j in jobs], self._clock())

    def _hold(self, jobs: Sequence[Job], held: bool = True) -> None:
        """Track the jobs this worker holds, for the heartbeat."""
        with self._held_lock:
            if held:
                self._held.update(job.id for job in jobs)
            else:
                self._held.difference_update(job.id for job in jobs)

    # threads: loops, heartbeat, listener

    def start(self) -> None:
        """Start ``concurrency`` loops and the heartbeat (and the LISTEN thread on PostgreSQL)."""
        if self._threads:
            return
        for number in range(self.options.concurrency):
            waker = threading.Event()
            subscribe(waker)
            self._wakers.append(waker)
            self._threads.append(threading.Thread(target=self._loop, args=(waker,), name=f"outbox-{number}", daemon=True))
        self._heart = threading.Thread(target=self._heartbeat, name="outbox-heartbeat", daemon=True)
        self._heart.start()
        if self.engine.dialect.name == "postgresql":
            self._listener = Listener(self.engine, self._wake_all, self._stopping)
            self._listener.start()
        for thread in self._threads:
            thread.start()
        _log.info("worker started", extra={"worker": self.id, "sinks": list(self.registry.sinks),
                                           "concurrency": self.options.concurrency})

    def stop(self, timeout: float | None = 60.0) -> None:
        """Finish the jobs in hand, hand back the rest, and wait for the threads to end."""
        self._stopping.set()
        self._wake_all()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self._loops_ended.set()  # the heartbeat kept the leases of the jobs being finished
        if self._heart is not None:
            self._heart.join(5.0)
        if self._listener is not None:
            self._listener.join(2.0)
        for waker in self._wakers:
            unsubscribe(waker)
        _log.info("worker stopped", extra={"worker": self.id})

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self, handle_signals: bool = True) -> None:
        """Run until SIGTERM/SIGINT (or ``stop``), then shut down gracefully."""
        if handle_signals:
            self._install_signals()
        self.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            self.stop()

    def _install_signals(self) -> None:
        def on_signal(signum: int, _: Any) -> None:
            _log.info("worker stopping", extra={"signal": signal.Signals(signum).name})
            self._stopping.set()
            signal.signal(signum, signal.SIG_DFL)  # a second signal ends the process at once

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)

    def _wake_all(self) -> None:
        for waker in self._wakers:
            waker.set()

    def _loop(self, waker: threading.Event) -> None:
        """Serve on one connection kept for the loop (no pool checkout per transaction);
        reconnect after a second when the database goes away."""
        while not self._stopping.is_set():
            try:
                with self.engine.connect() as conn:
                    self._local.conn = conn
                    self._serve(waker)
            except Exception as exc:  # noqa: BLE001 - the database is away: keep the process, try again
                _log.error("worker round failed", extra={"error": describe(exc)})
                self._stopping.wait(1.0)
            finally:
                self._local.conn = None

    def _serve(self, waker: threading.Event) -> None:
        idle = self.options.poll_min
        while not self._stopping.is_set():
            if self.run_once():
                idle = self.options.poll_min
                continue
            waker.wait(idle)
            waker.clear()
            idle = min(idle * 2, self._poll_max)

    def _heartbeat(self) -> None:
        interval = self.options.lease_seconds / 3
        while not self._loops_ended.wait(interval):
            with self._held_lock:
                holding = sorted(self._held)
            if not holding:
                continue
            try:
                with self.engine.begin() as conn:
                    queue.relax_durability(conn)
                    queue.extend(conn, self.id, holding, self._clock(), self._lease)
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried; the lease has slack
                _log.error("lease heartbeat failed", extra={"error": describe(exc)})
