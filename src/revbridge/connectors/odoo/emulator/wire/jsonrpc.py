"""``/jsonrpc`` (and ``/web/version``): the JSON-RPC 2.0 envelope around the services.

Why errors answer HTTP 200: Odoo reports every server error inside the envelope as
``{code 200, message "Odoo Server Error", data {...}}`` (FACTS.md 10); None results are
plain ``null`` here, unlike XML-RPC.
"""

from __future__ import annotations

import json
from typing import Any

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.core import CallRecord, Emulator
from revbridge.connectors.odoo.emulator.wire import (
    DEPRECATION_WARNING,
    Exchange,
    Response,
    json_response,
    logger,
)
from revbridge.connectors.odoo.emulator.wire.xmlrpc import _dispatch


def prepare(emulator: Emulator, body: bytes) -> Exchange:
    try:
        request = json.loads(body or b"{}")
        params = request.get("params") or {}
        service, method = params.get("service", ""), params.get("method", "")
        args = list(params.get("args") or [])
    except (ValueError, AttributeError) as exc:
        error = faults.BadRequest(f"Invalid JSON data: {exc}")
        return Exchange("jsonrpc", "?", "?", lambda: _error(None, error))
    request_id = request.get("id")
    is_object = service == "object" and len(args) > 4
    exchange = Exchange(
        "jsonrpc",
        service,
        method,
        lambda: Response(500, "", b""),
        model=args[3] if is_object else None,
        model_method=args[4] if is_object else None,
    )

    def run() -> Response:
        if emulator.profile.json2:
            logger.warning(DEPRECATION_WARNING)
        try:
            result = _dispatch(emulator, service, method, args)
        except Exception as exc:  # noqa: BLE001 - every exception becomes an error object
            exchange.ok, exchange.error = False, repr(exc)
            emulator.record(
                CallRecord(
                    "jsonrpc",
                    service,
                    method,
                    exchange.model,
                    exchange.model_method,
                    False,
                    repr(exc),
                )
            )
            return _error(request_id, exc)
        emulator.record(
            CallRecord("jsonrpc", service, method, exchange.model, exchange.model_method)
        )
        return json_response(200, {"jsonrpc": "2.0", "id": request_id, "result": result})

    exchange.run = run
    return exchange


def version(emulator: Emulator, body: bytes | None) -> Response:
    """``/web/version``: bare JSON on GET, a JSON-RPC envelope on POST."""
    if body is None:
        return json_response(200, emulator.profile.version())
    try:
        request_id: Any = json.loads(body or b"{}").get("id")
    except ValueError:
        request_id = None
    return json_response(
        200, {"jsonrpc": "2.0", "id": request_id, "result": emulator.profile.version()}
    )


def _error(request_id: Any, exc: BaseException) -> Response:
    return json_response(
        200, {"jsonrpc": "2.0", "id": request_id, "error": faults.jsonrpc_error(exc)}
    )
