"""``GET /metrics``: Prometheus text, the outbox queue read from the database at scrape time.

Unauthenticated like ``/healthz``: scrapers carry no API key, and the figures are counts
per job kind across workspaces, nothing a workspace owns. Put it behind the network
boundary that protects the rest of the operations endpoints.
"""

from __future__ import annotations

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine

from revbridge.outbox.metrics import registry_for


def install(app: FastAPI, engine: Engine) -> None:
    registry = registry_for(engine)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
