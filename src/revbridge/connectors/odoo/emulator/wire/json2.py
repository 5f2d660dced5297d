"""``POST /json/2/<model>/<method>``: Odoo 19's JSON-2 API (30_json2_odoo19).

Why bare answers: JSON-2 has no envelope; the result is the body with HTTP 200, and an
error is the ``{name, message, arguments, context, debug}`` object with a status that
says what went wrong (422 business rule, 404 unknown model/method/record, 403 private
method, 401 bad key, 400 bad JSON, 500 anything else).
"""

from __future__ import annotations

import json
from typing import Any

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.core import CallRecord, Emulator
from revbridge.connectors.odoo.emulator.wire import Exchange, Response, json_response

ROOT_HINT = "Did you mean POST /json/2/<model>/<method>?"


def prepare(
    emulator: Emulator, path: str, headers: dict[str, str], body: bytes, http_method: str
) -> Exchange:
    parts = [p for p in path.split("/") if p][2:]
    model, method = (parts + [None, None])[:2] if len(parts) == 2 else (None, None)
    exchange = Exchange(
        "json2",
        "json2",
        http_method,
        lambda: Response(500, "", b""),
        model=model,
        model_method=method,
    )

    def run() -> Response:
        try:
            if model is None or method is None:
                raise faults.NotFound(ROOT_HINT)
            if http_method != "POST":
                raise faults.MethodNotAllowed("The method is not allowed for the requested URL.")
            arguments = _body(body)
            result = emulator.call_json2(
                _bearer(headers), headers.get("x-odoo-database"), model, method, arguments
            )
        except Exception as exc:  # noqa: BLE001 - every exception becomes an error object
            exchange.ok, exchange.error = False, repr(exc)
            emulator.record(
                CallRecord("json2", "json2", http_method, model, method, False, repr(exc))
            )
            return json_response(faults.json2_status(exc), faults.error_data(exc))
        emulator.record(CallRecord("json2", "json2", http_method, model, method))
        return json_response(200, result)

    exchange.run = run
    return exchange


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _body(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError as exc:
        raise faults.BadRequest(f"could not parse the body as json: {exc}") from None
    if not isinstance(value, dict):
        raise faults.BadRequest("the body must be a JSON object")
    return value
