"""Every way Odoo fails maps to a class the outbox acts on: retry, alert, or show."""

from __future__ import annotations

import json
import xmlrpc.client
from collections.abc import Callable

import httpx
import pytest

from revbridge.connectors.odoo import (
    Limits,
    OdooAuthError,
    OdooConnector,
    OdooError,
    OdooRequestError,
    OdooTransientError,
    OdooUserError,
    OdooVersion,
    classify,
    open_transport,
)
from revbridge.connectors.odoo.transport import detect_version
from tests.connectors.odoo.connector.conftest import ConnectorFactory, Target, mapping_for

V17 = OdooVersion("17.0", 17, 0)
V19 = OdooVersion("19.0", 19, 0)


# ---------------------------------------------------------------- against the target
def test_same_api_over_each_wire(target: Target, connector: OdooConnector) -> None:
    expected = {"emulator-17": "xmlrpc", "emulator-19": "json2"}
    if target.name in expected:
        assert connector.transport.protocol == expected[target.name]
    report = connector.check()
    assert report.server_version == connector.transport.version.server_version


def test_jsonrpc_can_be_forced_on_17(target: Target) -> None:
    odoo = target.emulated
    if odoo.version.startswith("19"):
        pytest.skip("17.0 only")
    mapping = mapping_for(target, "forced")
    transport = open_transport(odoo.url, odoo.db, "admin", target.key, protocol="jsonrpc",
                               limits=Limits())
    assert transport.protocol == "jsonrpc"
    assert OdooConnector(transport, mapping).check().server_version == "17.0-20240709"
    with pytest.raises(OdooUserError, match="need to add a line"):
        (move,) = transport.call("account.move", "create",
                                 vals_list=[{"move_type": "out_invoice", "partner_id": 3}])
        transport.call("account.move", "action_post", ids=[move])
    transport.http.close()


def test_wrong_key_is_a_permanent_auth_error(
    target: Target, connector_factory: ConnectorFactory
) -> None:
    target.key = "not-the-key"
    connector = connector_factory()
    with pytest.raises(OdooAuthError) as caught:
        connector.check()
    assert not caught.value.retryable and caught.value.alert
    assert "not-the-key" not in str(caught.value)
    assert "not-the-key" not in repr(connector.transport)


def test_revoked_key_is_a_permanent_auth_error(
    target: Target, connector: OdooConnector
) -> None:
    odoo = target.emulated
    connector.check()
    odoo.revoke_api_key(target.key)
    with pytest.raises(OdooAuthError) as caught:
        connector.transport.call("res.partner", "search_count", domain=[])
    assert not caught.value.retryable


def test_business_refusal_keeps_odoos_message(target: Target, connector: OdooConnector) -> None:
    transport = connector.transport
    (move,) = transport.call("account.move", "create",
                             vals_list=[{"move_type": "out_invoice", "partner_id": 3}])
    with pytest.raises(OdooUserError) as caught:
        transport.call("account.move", "action_post", ids=[move])
    assert not caught.value.retryable
    assert str(caught.value) in ("You need to add a line before posting.",
                                 "Even magicians can't post nothing!")
    assert caught.value.where() == "account.move.action_post"


def test_unknown_field_is_a_request_error(connector: OdooConnector) -> None:
    with pytest.raises(OdooRequestError, match="no_such_field") as caught:
        connector.transport.call("res.partner", "create", vals_list=[{"name": "x",
                                                                      "no_such_field": 1}])
    assert not caught.value.retryable


def test_missing_record_is_a_user_error(connector: OdooConnector) -> None:
    with pytest.raises(OdooUserError, match="does not exist"):
        connector.transport.call("res.partner", "write", ids=[99999999], vals={"name": "x"})


def test_none_result_after_commit_is_success(target: Target, connector: OdooConnector) -> None:
    transport = connector.transport
    (move,) = transport.call("account.move", "create", vals_list=[{"move_type": "entry"}])
    assert transport.call("account.move", "button_cancel", ids=[move]) is None
    (row,) = transport.call("account.move", "read", ids=[move], fields=["state"])
    assert row["state"] == "cancel"


def test_proxy_outage_is_transient(target: Target, connector: OdooConnector) -> None:
    odoo = target.emulated
    connector.check()
    odoo.outage(calls=1, status=502)
    with pytest.raises(OdooTransientError, match="HTTP 502") as caught:
        connector.transport.call("res.partner", "search_count", domain=[])
    assert caught.value.retryable


# ---------------------------------------------------------------- recorded shapes, mocked
Handler = Callable[[httpx.Request], httpx.Response]


def _transport(handler: Handler, version: OdooVersion, protocol: str = "auto"):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return open_transport("http://odoo.test", "db", "admin", "secret-key", protocol=protocol,
                          http=http, limits=Limits(), version=version)


def _xml_fault(code: int, text: str) -> httpx.Response:
    body = xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True)
    return httpx.Response(200, content=body.encode())


def _xml_ok(value: object) -> httpx.Response:
    return httpx.Response(200, content=xmlrpc.client.dumps((value,), methodresponse=True).encode())


def _xmlrpc(fault: tuple[int, str]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/common"):
            return _xml_ok(2)
        return _xml_fault(*fault)

    return handle


TRACEBACK = "Traceback (most recent call last):\n  File \"x\", line 1\n"


@pytest.mark.parametrize(
    ("fault", "expected", "retryable"),
    [
        ((3, "Access Denied"), OdooAuthError, False),
        ((4, "Private methods (such as _x) cannot be called remotely."), OdooAuthError, False),
        ((2, "Record does not exist or has been deleted.\n(Record: res.users(99,), User: 99)"),
         OdooAuthError, False),
        ((2, "The operation cannot be completed: duplicate key value"), OdooUserError, False),
        ((1, TRACEBACK + "ValueError: Invalid field 'x' on model 'res.partner'"),
         OdooRequestError, False),
        ((1, TRACEBACK + "psycopg2.errors.SerializationFailure: could not serialize access "
              "due to concurrent update"), OdooTransientError, True),
        ((1, TRACEBACK + "psycopg2.errors.LockNotAvailable: could not obtain lock on row"),
         OdooTransientError, True),
        ((1, TRACEBACK + "psycopg2.OperationalError: server closed the connection unexpectedly"),
         OdooTransientError, True),
        ((1, TRACEBACK + "TypeError: cannot marshal None unless allow_none is enabled"),
         OdooRequestError, False),
    ],
)
def test_xmlrpc_faults(fault: tuple[int, str], expected: type[OdooError], retryable: bool) -> None:
    transport = _transport(_xmlrpc(fault), V17)
    with pytest.raises(expected) as caught:
        transport.call("res.partner", "write", ids=[1], vals={"name": "x"})
    assert caught.value.retryable is retryable
    assert caught.value.fault_code == fault[0]
    assert "secret-key" not in str(caught.value)


def _json2(status: int, body: object, headers: dict[str, str] | None = None) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "bearer secret-key"
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers=headers or {})

    return handle


def _error(name: str, message: str) -> dict[str, object]:
    return {"name": name, "message": message, "arguments": [message], "context": {}}


@pytest.mark.parametrize(
    ("status", "body", "expected", "retryable"),
    [
        (401, _error("werkzeug.exceptions.Unauthorized", "Invalid apikey"), OdooAuthError, False),
        (403, _error("odoo.exceptions.AccessError", "Private methods"), OdooAuthError, False),
        (422, _error("odoo.exceptions.UserError", "Even magicians can't post nothing!"),
         OdooUserError, False),
        (404, _error("odoo.exceptions.MissingError", "Record does not exist"), OdooUserError,
         False),
        (404, _error("werkzeug.exceptions.NotFound", "the model 'x' does not exist"),
         OdooUserError, False),
        (500, _error("builtins.ValueError", "Invalid field 'x' in 'res.partner'"),
         OdooRequestError, False),
        (500, _error("psycopg2.errors.SerializationFailure",
                     "could not serialize access due to concurrent update"),
         OdooTransientError, True),
        (502, b"<html>Bad Gateway</html>", OdooTransientError, True),
        (504, b"", OdooTransientError, True),
    ],
)
def test_json2_errors(status: int, body: object, expected: type[OdooError], retryable: bool) -> None:
    transport = _transport(_json2(status, body), V19)
    with pytest.raises(expected) as caught:
        transport.call("account.move", "action_post", ids=[1])
    assert caught.value.retryable is retryable
    assert caught.value.http_status == status


def test_429_carries_retry_after() -> None:
    transport = _transport(_json2(429, b"slow down", {"Retry-After": "7"}), V19)
    with pytest.raises(OdooTransientError) as caught:
        transport.call("res.partner", "search_count", domain=[])
    assert caught.value.retry_after == 7.0


def test_jsonrpc_error_object() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        params = json.loads(request.content)["params"]
        if params["service"] == "common":
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": 2})
        data = _error("odoo.exceptions.ValidationError", "Tax names must be unique!")
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": 2, "error": {
            "code": 200, "message": "Odoo Server Error", "data": data}})

    transport = _transport(handle, V17, protocol="jsonrpc")
    with pytest.raises(OdooUserError, match="Tax names must be unique"):
        transport.call("account.tax", "create", vals_list=[{"name": "15%"}])


def test_connection_refused_is_transient() -> None:
    http = httpx.Client(timeout=1.0)
    with pytest.raises(OdooTransientError, match="unreachable"):
        open_transport("http://127.0.0.1:9", "db", "admin", "k", http=http, limits=Limits())


def test_version_detection_falls_back_to_xmlrpc_common() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/web/version":
            return httpx.Response(404, text="not found")
        return _xml_ok({"server_version": "16.0", "server_version_info": [16, 0, 0, "final", 0]})

    version = detect_version(httpx.Client(transport=httpx.MockTransport(handle)), "http://o")
    assert (version.major, version.default_protocol) == (16, "xmlrpc")
    assert OdooVersion.parse({"server_version": "saas~18.3+e"}).major == 18


def test_classify_without_a_name() -> None:
    assert classify(message="x", http_status=503, odoo_body=False).retryable
    assert not classify(message="x", fault_code=2).retryable
    assert isinstance(classify(message="FATAL: database \"x\" does not exist",
                               name="psycopg2.OperationalError"), OdooRequestError)
