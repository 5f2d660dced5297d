"""Usage over HTTP: ``POST /v1/events``, meters (``GET /v1/usage``), stats and exceptions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from revbridge.api.deps import ADMINS, READERS, acting, principal
from revbridge.api.encoding import Answer
from revbridge.api.problems import PROBLEM, title_for
from revbridge.catalog.customers import get_customer
from revbridge.catalog.versions import stored_meters
from revbridge.domain.period import Period
from revbridge.errors import NotFoundError, ValidationError
from revbridge.ingest import quarantine
from revbridge.ingest.limits import BodyTooLarge
from revbridge.ingest.meters import usage_table
from revbridge.ingest.reference import Window
from revbridge.ingest.service import IngestService
from revbridge.ingest.store import counters, late_usage
from revbridge.workspaces import Principal, Role

router = APIRouter(tags=["usage"])
Caller = Annotated[Principal, Depends(principal)]
SENDERS = (Role.ADMIN, Role.INGEST)
_EVENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/cloudevents+json": {"schema": {"type": "object"}},
            "application/cloudevents-batch+json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
        "description": "one CloudEvents 1.0 event, or a batch of them",
    }
}


async def _capped_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it grows past ``limit`` (never buffered beyond it)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(int(declared), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/events", openapi_extra=_EVENTS_BODY)
async def post_events(request: Request, who: Caller) -> Any:
    """Validate and store events; answers after they are committed, with per-event errors."""
    who.require(*SENDERS)
    service: IngestService = request.app.state.ingest
    body = await _capped_body(request, service.limits.max_body_bytes)
    content_type = request.headers.get("content-type", "")
    try:
        outcome = await run_in_threadpool(service.accept_body, who.workspace_id, body, content_type)
    except ValidationError as exc:
        exception_id = getattr(exc, "exception_id", None)
        answer = {"type": "https://revbridge.dev/problems/events", "title": title_for(exc.status),
                  "status": exc.status, "detail": exc.message, "errors": [p.as_dict() for p in exc.problems]}
        if exception_id:
            answer["exception_id"] = exception_id
        return Answer(answer, status_code=exc.status, media_type=PROBLEM)
    data = {**outcome.counts.as_dict(), "late": outcome.late, "errors": outcome.errors}
    single = not content_type.split(";")[0].strip().lower().endswith("batch+json")
    if single and outcome.counts.rejected:
        return Answer({"type": "https://revbridge.dev/problems/events", "title": title_for(422), "status": 422,
                       "detail": "; ".join(f"{e['field']}: {e['reason']}" for e in outcome.errors), **data},
                      status_code=422, media_type=PROBLEM)
    return Answer(data)


@router.get("/events/stats")
def event_stats(request: Request, who: Caller, since: datetime | None = None, until: datetime | None = None) -> Any:
    """Daily counters: received = accepted + duplicate + rejected."""
    with acting(request, who, *READERS, Role.INGEST) as scope:
        rows = counters(scope, since.date() if since else None, until.date() if until else None)
    return Answer({"data": rows, "next_cursor": None})


@router.get("/usage")
def usage(
    request: Request,
    who: Caller,
    meter: str,
    start: Annotated[AwareDatetime, Query(alias="from")],
    end: Annotated[AwareDatetime, Query(alias="to")],
    customer: str | None = None,
    window: Window | None = None,
    group_by: Annotated[list[str] | None, Query()] = None,
) -> Any:
    """A meter's quantities over ``[from, to)``, per customer, group and window."""
    with acting(request, who, *READERS) as scope:
        found = stored_meters(scope).get(meter)
        if found is None:
            raise NotFoundError(f"no meter {meter!r} in this workspace")
        customer_id = get_customer(scope, customer)["id"] if customer else None
        try:
            period = Period(start, end)
        except ValueError as exc:
            raise ValidationError("to", str(exc), end.isoformat()) from None
        table = usage_table(scope.conn, scope.workspace_id, found.meter, period, customer_id, window, group_by)
    data = [
        {"customer_id": k.customer_id, "group": dict(k.group) if k.group else {}, "window_start": k.window_start,
         "quantity": v}
        for k, v in sorted(table.items(), key=lambda kv: (kv[0].customer_id, str(kv[0].window_start), str(kv[0].group)))
    ]
    return Answer({"meter": meter, "from": start, "to": end, "data": data})


@router.get("/usage/late")
def late(request: Request, who: Caller, customer: str | None = None) -> Any:
    """Usage that arrived after its period was billed, waiting for the next billing run."""
    with acting(request, who, *READERS) as scope:
        customer_id = get_customer(scope, customer)["id"] if customer else None
        return Answer({"data": late_usage(scope, customer_id)})


@router.get("/exceptions")
def list_exceptions(request: Request, who: Caller, state: str | None = "open", reason: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50, cursor: str | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        page = quarantine.list_exceptions(scope, state, None if reason == "dead_job" else reason, limit, cursor)
        if cursor is None:  # dead jobs ride along on the first page
            page = quarantine.with_dead_jobs(scope, page, state, reason)
    return Answer({"data": page.rows, "next_cursor": page.next_cursor})


@router.get("/exceptions/{exc_id}")
def show_exception(exc_id: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(quarantine.get_exception(scope, exc_id))


@router.post("/exceptions/replay")
def replay(request: Request, who: Caller, ids: Annotated[list[str] | None, Query()] = None,
           reason: str | None = None) -> Any:
    """Validate quarantined events again (by id, or every open one with a reason)."""
    service: IngestService = request.app.state.ingest
    with acting(request, who, *ADMINS) as scope:
        chosen = ids or quarantine.open_ids(scope, reason)
        counts = service.replay(scope, chosen)
    return Answer({"replayed": len(chosen), **counts.as_dict()})
