"""What a person does with the outbox: look at jobs, retry a dead one, replay many.

``retry`` gives one dead (or backing-off) job another attempt now, keeping its attempt
count, so a job that fails again goes straight back to the dead letters. ``replay``
starts jobs over (attempts reset) by id or by filter (kind, sink, error text, when they
last changed), typically after a fix: the handler re-reads the entity when it runs, so
a corrected mapping or customer record is what gets sent. Both are audited, and both
wake the workers. Running and pending jobs are never replayed: they are in flight.

Dead jobs are also the outbox's contribution to the workspace's exceptions list
(``dead_job_exceptions``): each one is a record a person must look at, with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update

from revbridge import audit
from revbridge.errors import ConflictError, NotFoundError, ValidationError
from revbridge.outbox.enqueue import JobState
from revbridge.outbox.tables import outbox_jobs
from revbridge.outbox.wakeup import announce
from revbridge.scope import Scope
from revbridge.store.paging import MAX_LIMIT, decode_cursor, encode_cursor

MAX_REPLAY = 10_000
REPLAYABLE = (JobState.DEAD.value, JobState.DONE.value)
_jobs = outbox_jobs.c


def _states(state: str | None) -> str | None:
    if state is not None and state not in {s.value for s in JobState}:
        raise ValidationError("state", "one of pending, running, done, dead", state)
    return state


@dataclass(frozen=True)
class JobFilter:
    """Which jobs: every given criterion must hold; ``error`` matches a substring of the last error."""

    state: str | None = None
    kind: str | None = None
    sink: str | None = None
    error: str | None = None
    since: datetime | None = None  # last changed at or after (for a dead job: when it died)
    until: datetime | None = None  # last changed before

    def clause(self, workspace_id: str) -> ColumnElement[bool]:
        terms: list[ColumnElement[bool]] = [_jobs.workspace_id == workspace_id]
        if _states(self.state):
            terms.append(_jobs.state == self.state)
        if self.kind:
            terms.append(_jobs.kind == self.kind)
        if self.sink:
            terms.append(_jobs.sink == self.sink)
        if self.error:
            terms.append(_jobs.last_error.contains(self.error, autoescape=True))
        if self.since:
            terms.append(_jobs.updated_at >= self.since)
        if self.until:
            terms.append(_jobs.updated_at < self.until)
        if self.since and self.until and self.until <= self.since:
            raise ValidationError("until", "must be after since", self.until.isoformat())
        return and_(*terms)


def job_view(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data.pop("workspace_id", None)
    return data


def list_jobs(
    scope: Scope, where: JobFilter = JobFilter(), limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of jobs, newest first; returns the rows and the cursor of the next page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"must be from 1 to {MAX_LIMIT}", limit)
    clause = where.clause(scope.workspace_id)
    if cursor is not None:
        last = decode_cursor(cursor)
        if not last.isdigit():
            raise ValidationError("cursor", "not a cursor this API issued", cursor)
        clause = and_(clause, _jobs.id < int(last))
    rows = scope.conn.execute(select(outbox_jobs).where(clause).order_by(_jobs.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [job_view(r) for r in rows], (encode_cursor(str(rows[-1].id)) if more and rows else None)


def get_job(scope: Scope, job_id: int) -> dict[str, Any]:
    row = scope.conn.execute(
        select(outbox_jobs).where(_jobs.workspace_id == scope.workspace_id, _jobs.id == job_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no job {job_id} in this workspace")
    return job_view(row)


def retry_job(scope: Scope, job_id: int) -> dict[str, Any]:
    """Run a dead or backing-off job again now, keeping its attempt count."""
    job = get_job(scope, job_id)
    if job["state"] not in (JobState.DEAD.value, JobState.PENDING.value):
        raise ConflictError("state", "only a dead or pending job can be retried", job["state"])
    scope.conn.execute(
        update(outbox_jobs)
        .where(_jobs.id == job_id, _jobs.state == job["state"])
        .values(state=JobState.PENDING.value, next_attempt_at=scope.now, updated_at=scope.now)
    )
    audit.record(scope, "job.retry", "outbox_job", str(job_id), before=_digestable(job), detail={"kind": job["kind"]})
    announce(scope.conn)
    return get_job(scope, job_id)


def replay_jobs(scope: Scope, ids: Sequence[int] = (), where: JobFilter | None = None) -> list[int]:
    """Start dead (or, asked by state, done) jobs over with fresh attempts; returns their ids.

    With ``ids``, exactly those jobs, each of which must be replayable; with a filter,
    the matching jobs (dead ones unless the filter names ``state=done``).
    """
    if not ids and where is None:
        raise ValidationError("ids", "give job ids or a filter")
    if ids:
        found = scope.conn.execute(
            select(_jobs.id, _jobs.state).where(_jobs.workspace_id == scope.workspace_id, _jobs.id.in_(list(ids)))
        ).all()
        states = {r.id: r.state for r in found}
        for job_id in ids:
            if job_id not in states:
                raise NotFoundError(f"no job {job_id} in this workspace")
            if states[job_id] not in REPLAYABLE:
                raise ConflictError(f"ids[{job_id}]", "only dead or done jobs can be replayed", states[job_id])
        chosen = sorted(set(ids))
    else:
        assert where is not None
        if where.state is None:
            where = JobFilter(**{**where.__dict__, "state": JobState.DEAD.value})
        if where.state not in REPLAYABLE:
            raise ValidationError("state", "only dead or done jobs can be replayed", where.state)
        chosen = list(scope.conn.execute(
            select(_jobs.id).where(where.clause(scope.workspace_id)).order_by(_jobs.id).limit(MAX_REPLAY + 1)
        ).scalars())
        if len(chosen) > MAX_REPLAY:
            raise ValidationError("filter", f"matches more than {MAX_REPLAY} jobs; narrow it", len(chosen))
    if not chosen:
        return []
    scope.conn.execute(
        update(outbox_jobs)
        .where(_jobs.workspace_id == scope.workspace_id, _jobs.id.in_(chosen), _jobs.state.in_(REPLAYABLE))
        .values(
            state=JobState.PENDING.value, attempts=0, next_attempt_at=scope.now, updated_at=scope.now,
            done_at=None, locked_by=None, lease_expires_at=None,
        )
    )
    detail: dict[str, Any] = {"count": len(chosen), "first": chosen[0], "last": chosen[-1]}
    if where is not None:
        detail["filter"] = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in where.__dict__.items() if v}
    audit.record(scope, "job.replay", "outbox_job", ",".join(map(str, chosen[:20])), detail=detail)
    announce(scope.conn)
    return chosen


def dead_job_exceptions(scope: Scope, limit: int = MAX_LIMIT) -> list[dict[str, Any]]:
    """Dead jobs as entries of the workspace's exceptions list, in the shape of its rows.

    The exceptions queue (``ingest.quarantine``) keeps quarantined inputs in a table; a
    dead job already is such a record, so it is shown rather than copied: ``kind``
    ``outbox_job``, ``reason`` ``dead_job``, the error in ``problems``, and the way out
    (``revbridge jobs retry|replay``) in ``actions``.
    """
    rows = scope.conn.execute(
        select(outbox_jobs)
        .where(_jobs.workspace_id == scope.workspace_id, _jobs.state == JobState.DEAD.value)
        .order_by(_jobs.id)
        .limit(limit)
    ).all()
    return [
        {
            "id": f"job:{r.id}",
            "kind": "outbox_job",
            "reason": "dead_job",
            "state": "open",
            "origin": f"{r.sink}:{r.kind}",
            "problems": [{"field": "job", "reason": r.last_error or "dead"}],
            "attempts": r.attempts,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
            "resolved_at": None,
            "job": {"id": r.id, "kind": r.kind, "key": r.key, "sink": r.sink, "aggregate": r.aggregate,
                    "payload": r.payload, "correlation_id": r.correlation_id},
            "actions": ["retry", "replay"],
        }
        for r in rows
    ]


def _digestable(job: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in job.items()}
