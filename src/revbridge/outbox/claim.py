"""The queue's SQL: claim, extend, complete, fail and release jobs. One code path, two backends.

Claiming is one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING``. On PostgreSQL
the inner select takes ``FOR UPDATE SKIP LOCKED``, so any number of workers on any
number of machines claim disjoint batches without waiting on each other; on SQLite the
engine's ``BEGIN IMMEDIATE`` makes the claim the single writer, and the clause renders
as nothing.

A job is claimable when it is due (pending and its backoff has passed, or running and
its lease has expired because its worker died) and it is the first job of its aggregate
that is not done: dead ones block too, so a payment never overtakes the invoice it pays
until a person replays or resolves that invoice. Both tests read partial indexes that
hold only live rows (see ``tables.py``); the state literals are written inline, not
bound, because SQLite uses a partial index only when the query repeats its predicate.

A claim counts an attempt and sets ``next_attempt_at`` to the lease's end, which is how
an abandoned job comes due again. Every later write checks ``locked_by``, so a worker
that lost its lease (it stalled past it and another worker took over) cannot overwrite
the newer owner's outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Select, and_, func, literal_column, select, text, update

from revbridge.outbox.handlers import Job
from revbridge.outbox.tables import outbox_jobs

_jobs = outbox_jobs
_earlier = outbox_jobs.alias("earlier")

PENDING: ColumnElement[str] = literal_column("'pending'")
RUNNING: ColumnElement[str] = literal_column("'running'")
DONE: ColumnElement[str] = literal_column("'done'")
DEAD: ColumnElement[str] = literal_column("'dead'")

_RETURNED = (
    _jobs.c.id,
    _jobs.c.workspace_id,
    _jobs.c.kind,
    _jobs.c.key,
    _jobs.c.aggregate,
    _jobs.c.sink,
    _jobs.c.payload,
    _jobs.c.attempts,
    _jobs.c.correlation_id,
    _jobs.c.created_at,
)


def claimable(now: datetime, sinks: Sequence[str]) -> Select[tuple[int]]:
    """The ids of jobs a worker serving ``sinks`` may take now, oldest due first.

    "No earlier job of the aggregate is still open" is written as "this job is the
    aggregate's first open job": a correlated ``min(id)`` over the ``open`` index, one
    short index probe per candidate. As ``NOT EXISTS`` the planner may turn it into an
    anti-join, and with statistics taken while the queue was nearly empty it picks a
    sequential scan of the table for every candidate, which took minutes on a backlog
    of 20,000 jobs; a scalar subquery keeps the probe whatever the statistics say.
    """
    head = (
        select(func.min(_earlier.c.id))
        .where(
            _earlier.c.workspace_id == _jobs.c.workspace_id,
            _earlier.c.aggregate == _jobs.c.aggregate,
            _earlier.c.state != DONE,
        )
        .scalar_subquery()
    )
    return (
        select(_jobs.c.id)
        .where(_jobs.c.state.in_([PENDING, RUNNING]), _jobs.c.next_attempt_at <= now, _jobs.c.sink.in_(sinks),
               _jobs.c.id == head)
        .order_by(_jobs.c.next_attempt_at, _jobs.c.id)
    )


def relax_durability(conn: Connection) -> None:
    """Skip the WAL flush wait for a claim or a heartbeat on PostgreSQL.

    Losing such a commit in a server crash only means the job is pending again (or its
    lease shorter), which at-least-once delivery to idempotent sinks already absorbs;
    outcomes (done, retry, dead) keep the server's full durability.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL synchronous_commit TO OFF"))


def claim(
    conn: Connection, worker_id: str, sinks: Sequence[str], limit: int, now: datetime, lease: timedelta
) -> list[Job]:
    """Take up to ``limit`` claimable jobs for ``worker_id``; the caller commits."""
    if not sinks or limit < 1:
        return []
    candidates = claimable(now, sinks).limit(limit).with_for_update(skip_locked=True)
    until = now + lease
    rows = conn.execute(
        update(_jobs)
        .where(_jobs.c.id.in_(candidates.scalar_subquery()))
        .values(
            state=RUNNING,
            locked_by=worker_id,
            lease_expires_at=until,
            next_attempt_at=until,
            attempts=_jobs.c.attempts + 1,
            updated_at=now,
        )
        .returning(*_RETURNED)
    ).all()
    jobs = [
        Job(r.id, r.workspace_id, r.kind, r.key, r.aggregate, r.sink, r.payload, r.attempts, r.correlation_id, r.created_at)
        for r in rows
    ]
    jobs.sort(key=lambda job: job.id)
    return jobs


def _mine(worker_id: str, ids: Sequence[int]) -> ColumnElement[bool]:
    return and_(_jobs.c.id.in_(ids), _jobs.c.locked_by == worker_id, _jobs.c.state == RUNNING)


def extend(conn: Connection, worker_id: str, ids: Sequence[int], now: datetime, lease: timedelta) -> int:
    """Heartbeat: push the lease of the jobs ``worker_id`` holds; returns how many were extended.

    Rows another transaction has locked are skipped rather than waited for: they are being
    completed or failed right now, so their lease no longer matters, and not waiting means
    a heartbeat can never deadlock with the worker's own outcome writes.
    """
    if not ids:
        return 0
    until = now + lease
    mine = select(_jobs.c.id).where(_mine(worker_id, ids)).with_for_update(skip_locked=True)
    result = conn.execute(
        update(_jobs).where(_jobs.c.id.in_(mine.scalar_subquery())).values(lease_expires_at=until, next_attempt_at=until)
    )
    return int(result.rowcount)


def complete(conn: Connection, worker_id: str, ids: Sequence[int], now: datetime) -> int:
    """Mark delivered jobs done; returns how many were still ours to mark."""
    if not ids:
        return 0
    result = conn.execute(
        update(_jobs)
        .where(_mine(worker_id, ids))
        .values(state=DONE, done_at=now, updated_at=now, locked_by=None, lease_expires_at=None)
    )
    return int(result.rowcount)


def reschedule(
    conn: Connection, worker_id: str, job_id: int, now: datetime, delay: float, error: str,
    uncount: bool = False,
) -> bool:
    """Put a failed job back in the queue after ``delay`` seconds, keeping why it failed.

    ``uncount`` gives the attempt back: the far side said it is down and when to come
    back, so waiting for it must not use up the job's retries.
    """
    extra = {"attempts": _jobs.c.attempts - 1} if uncount else {}
    result = conn.execute(
        update(_jobs)
        .where(_mine(worker_id, [job_id]))
        .values(
            **extra,
            state=PENDING,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=error,
            updated_at=now,
            locked_by=None,
            lease_expires_at=None,
        )
    )
    return bool(result.rowcount)


def bury(conn: Connection, worker_id: str, job_id: int, now: datetime, error: str) -> bool:
    """Dead-letter a job: it stays, with its reason, until a person retries or replays it."""
    result = conn.execute(
        update(_jobs)
        .where(_mine(worker_id, [job_id]))
        .values(state=DEAD, last_error=error, updated_at=now, locked_by=None, lease_expires_at=None)
    )
    return bool(result.rowcount)


def release(conn: Connection, worker_id: str, ids: Sequence[int], now: datetime) -> int:
    """Hand back claimed jobs that were never started (shutdown), uncounting their attempt."""
    if not ids:
        return 0
    result = conn.execute(
        update(_jobs)
        .where(_mine(worker_id, ids))
        .values(
            state=PENDING,
            attempts=_jobs.c.attempts - 1,
            next_attempt_at=now,
            updated_at=now,
            locked_by=None,
            lease_expires_at=None,
        )
    )
    return int(result.rowcount)
