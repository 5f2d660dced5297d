"""The three wires Odoo speaks, each turning an HTTP request into a prepared call.

Why "prepared": the server must know which model and method a request targets before
running it, so failure injection can match on them (``failures``) and a crash can come
after the commit. Each wire parses the request into an :class:`Exchange` whose ``run``
executes it and returns the HTTP answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("revbridge.connectors.odoo.emulator")

DEPRECATION_WARNING = (
    "The /xmlrpc, /xmlrpc/2 and /jsonrpc endpoints are deprecated in Odoo 19 and scheduled "
    "for removal in Odoo 20. Please report the problem to the client making the request."
)
JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Exchange:
    """A parsed request: what it targets, and how to execute it."""

    transport: str
    service: str
    method: str
    run: Callable[[], Response]
    model: str | None = None
    model_method: str | None = None
    ok: bool = True
    error: str | None = None


def json_response(status: int, payload: Any) -> Response:
    return Response(status, JSON_TYPE, json.dumps(payload, ensure_ascii=False).encode())


def text_response(status: int, text: str) -> Response:
    return Response(status, "text/html; charset=utf-8", text.encode())
