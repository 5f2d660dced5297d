"""``/xmlrpc/2/common``, ``/xmlrpc/2/object`` and ``/xmlrpc/2/db``.

Why results are marshalled with ``allow_none=False`` after the commit: that is what Odoo
does, so a method returning None (``button_draft``) or a dict with int keys
(``get_external_id``) changes the database and still answers a code-1 fault (FACTS.md 9).
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.core import CallRecord, Emulator
from revbridge.connectors.odoo.emulator.wire import (
    DEPRECATION_WARNING,
    Exchange,
    Response,
    logger,
)

XML_TYPE = "text/xml; charset=utf-8"


def prepare(emulator: Emulator, service: str, body: bytes) -> Exchange:
    try:
        params, method = xmlrpc.client.loads(body)
    except Exception as exc:  # noqa: BLE001 - any parse error is a fault, as in Odoo
        error = exc
        return Exchange("xmlrpc", service, "?", lambda: _fault(error))
    method = method or ""
    is_object = service == "object" and len(params) > 4
    model = str(params[3]) if is_object else None
    model_method = str(params[4]) if is_object else None
    exchange = Exchange(
        "xmlrpc",
        service,
        method,
        lambda: Response(500, XML_TYPE, b""),
        model=model,
        model_method=model_method,
    )

    def run() -> Response:
        if emulator.profile.json2:
            logger.warning(DEPRECATION_WARNING)
        try:
            result = _dispatch(emulator, service, method, list(params))
        except Exception as exc:  # noqa: BLE001 - every exception becomes a fault
            exchange.ok, exchange.error = False, repr(exc)
            emulator.record(_record(exchange))
            return _fault(exc)
        emulator.record(_record(exchange))
        try:
            payload = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)
        except (TypeError, OverflowError) as exc:
            return _fault(exc)
        return Response(200, XML_TYPE, payload.encode())

    exchange.run = run
    return exchange


def _dispatch(emulator: Emulator, service: str, method: str, params: list[Any]) -> Any:
    if service == "common":
        return emulator.common(method, params)
    if service == "db":
        return emulator.db_service(method, params)
    if service == "object":
        if method == "execute_kw":
            return emulator.execute_kw(*params)
        if method == "execute":
            db, uid, password, model, model_method = params[:5]
            return emulator.execute_kw(db, uid, password, model, model_method, params[5:], {})
    raise AttributeError(f"'{service}' service has no method {method!r}")


def _fault(exc: BaseException) -> Response:
    code, text = faults.xmlrpc_fault(exc)
    payload = xmlrpc.client.dumps(
        xmlrpc.client.Fault(code, text), methodresponse=True, allow_none=False
    )
    return Response(200, XML_TYPE, payload.encode())


def _record(exchange: Exchange) -> CallRecord:
    return CallRecord(
        exchange.transport,
        exchange.service,
        exchange.method,
        exchange.model,
        exchange.model_method,
        exchange.ok,
        exchange.error,
    )
