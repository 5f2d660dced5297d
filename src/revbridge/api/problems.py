"""Errors as RFC 9457 ``application/problem+json``, naming the field and the reason.

Every refusal, whether raised by a service (``RevbridgeError``), by request parsing
(pydantic) or by routing, leaves in one shape: ``type``, ``title``, ``status``,
``detail`` and ``errors`` (a list of ``{field, reason, value}``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from revbridge.api.encoding import Answer
from revbridge.errors import RevbridgeError, StoreError, ValidationError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None, **headers: str) -> Answer:
    body: dict[str, Any] = {
        "type": f"https://revbridge.dev/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Answer(body, status_code=status, media_type=PROBLEM, headers=headers or None)


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    500: "Internal error",
    503: "Unavailable",
}


def title_for(status: int) -> str:
    return _TITLES.get(status, "Error")


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(RevbridgeError)
    async def _revbridge(_: Request, exc: RevbridgeError) -> Answer:
        if isinstance(exc, StoreError):
            log.error("store failure: %s", exc)
        errors = [p.as_dict() for p in exc.problems] if isinstance(exc, ValidationError) else None
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        return problem(exc.status, title_for(exc.status), exc.message, errors, **headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Answer:
        errors = []
        for err in exc.errors():
            item: dict[str, Any] = {"field": _loc(tuple(err.get("loc", ()))), "reason": err.get("msg", "invalid")}
            if "input" in err and isinstance(err["input"], (str, int, float, bool)):
                item["value"] = err["input"] if not isinstance(err["input"], str) else err["input"][:200]
            errors.append(item)
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem(422, title_for(422), detail, errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> Answer:
        return problem(exc.status_code, title_for(exc.status_code), str(exc.detail), None, **(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> Answer:
        log.exception("unhandled error")
        return problem(500, title_for(500), "an internal error occurred; it has been logged")
