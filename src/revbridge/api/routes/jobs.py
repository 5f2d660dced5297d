"""Outbox jobs: list and inspect (readers), retry and replay (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from revbridge.api.deps import ADMINS, READERS, acting, principal
from revbridge.api.encoding import Answer
from revbridge.outbox.replay import JobFilter, get_job, list_jobs, replay_jobs, retry_job
from revbridge.workspaces import Principal

router = APIRouter(tags=["jobs"])
Caller = Annotated[Principal, Depends(principal)]
Limit = Annotated[int, Query(ge=1, le=500)]


class ReplayIn(BaseModel):
    """Which jobs to start over: ``ids``, or a filter (dead jobs unless ``state`` is ``done``)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(default_factory=list)
    state: str | None = None
    kind: str | None = None
    sink: str | None = None
    error: str | None = Field(None, description="text the last error contains")
    since: AwareDatetime | None = Field(None, description="last changed at or after")
    until: AwareDatetime | None = Field(None, description="last changed before")

    def where(self) -> JobFilter | None:
        criteria = self.model_dump(exclude={"ids"}, exclude_none=True)
        return JobFilter(**criteria) if criteria else None


@router.get("/jobs")
def list_outbox_jobs(
    request: Request,
    who: Caller,
    state: str | None = None,
    kind: str | None = None,
    sink: str | None = None,
    error: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> Any:
    where = JobFilter(state=state, kind=kind, sink=sink, error=error, since=since, until=until)
    with acting(request, who, *READERS) as scope:
        rows, next_cursor = list_jobs(scope, where, limit, cursor)
    return Answer({"data": rows, "next_cursor": next_cursor})


@router.get("/jobs/{job_id}")
def get_outbox_job(job_id: int, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(get_job(scope, job_id))


@router.post("/jobs/{job_id}/retry")
def retry_outbox_job(job_id: int, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(retry_job(scope, job_id))


@router.post("/jobs/replay")
def replay_outbox_jobs(body: ReplayIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        replayed = replay_jobs(scope, body.ids, body.where())
    return Answer({"replayed": replayed, "count": len(replayed)})
