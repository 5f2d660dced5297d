"""The ASGI application: routers, problem answers, idempotency, request ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import Engine, text

import revbridge
from revbridge.api import metrics, problems
from revbridge.api.encoding import Answer
from revbridge.api.idempotency import IdempotencyMiddleware
from revbridge.api.routes import access, billing, catalog, customers, events, jobs, payments, subscriptions
from revbridge.config import Settings
from revbridge.ingest.service import IngestService, limits_from
from revbridge.log import log_context, new_correlation_id
from revbridge.scope import utcnow


def create_app(settings: Settings, engine: Engine, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    """The API over ``engine``; ``clock`` is "now" for ingest windows (fixed in the demo)."""
    app = FastAPI(
        title="revbridge",
        version=revbridge.__version__,
        description="Usage-to-cash for SaaS companies that keep their books in Odoo.",
        openapi_url="/openapi.json",
        default_response_class=Answer,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.ingest = IngestService(engine, limits_from(settings), clock)
    problems.install(app)
    metrics.install(app, engine)
    for module in (access, customers, catalog, subscriptions, events, jobs, billing, payments):
        app.include_router(module.router, prefix="/v1")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> Any:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return Answer({"status": "ok", "version": revbridge.__version__})

    @app.middleware("http")
    async def correlation(request: Request, call_next: Any) -> Any:
        cid = request.headers.get("x-request-id") or new_correlation_id()
        with log_context(correlation_id=cid):
            response = await call_next(request)
        response.headers["X-Request-ID"] = cid
        return response

    app.add_middleware(IdempotencyMiddleware, engine=engine, ttl_hours=settings.idempotency_ttl_hours)
    return app
