"""Failure injection: what the connector's retry logic must survive."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from revbridge.connectors.odoo.emulator import EmulatorHandle


def _jsonrpc(
    handle: EmulatorHandle,
    model: str,
    method: str,
    *args: Any,
    password: str = "admin",
    timeout: float = 5.0,
    **kwargs: Any,
) -> httpx.Response:
    body = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [handle.db, 2, password, model, method, list(args), kwargs],
        },
    }
    return httpx.post(f"{handle.url}/jsonrpc", json=body, timeout=timeout)


def _partners(handle: EmulatorHandle, name: str) -> int:
    return int(handle.execute("res.partner", "search_count", [["name", "=", name]]))


def test_crash_after_commit_keeps_the_change_but_sends_no_answer(
    odoo_emulator: EmulatorHandle,
) -> None:
    odoo_emulator.crash_after_commit(model="res.partner", method="create")
    with pytest.raises(httpx.RemoteProtocolError):
        _jsonrpc(odoo_emulator, "res.partner", "create", {"name": "Lost answer"})
    assert _partners(odoo_emulator, "Lost answer") == 1
    # spent after one call: the retry is answered (and creates a duplicate, hence xmlids)
    assert _jsonrpc(odoo_emulator, "res.partner", "create", {"name": "Lost answer"}).json()[
        "result"
    ]
    assert _partners(odoo_emulator, "Lost answer") == 2


def test_crash_before_commit_changes_nothing(odoo_emulator: EmulatorHandle) -> None:
    odoo_emulator.crash(after_commit=False)
    with pytest.raises(httpx.RemoteProtocolError):
        _jsonrpc(odoo_emulator, "res.partner", "create", {"name": "Never"})
    assert _partners(odoo_emulator, "Never") == 0


def test_outage_for_the_next_calls(odoo_emulator: EmulatorHandle) -> None:
    odoo_emulator.outage(calls=2, status=502)
    statuses = [
        _jsonrpc(odoo_emulator, "res.partner", "create", {"name": "Down"}).status_code
        for _ in range(3)
    ]
    assert statuses == [502, 502, 200]
    assert _partners(odoo_emulator, "Down") == 1


def test_outage_window_ends_with_the_clock(odoo_emulator: EmulatorHandle) -> None:
    odoo_emulator.outage(seconds=60)
    assert _jsonrpc(odoo_emulator, "res.partner", "search_count", []).status_code == 503
    odoo_emulator.clock.advance(30)
    assert _jsonrpc(odoo_emulator, "res.partner", "search_count", []).status_code == 503
    odoo_emulator.clock.advance(31)
    assert _jsonrpc(odoo_emulator, "res.partner", "search_count", []).status_code == 200


def test_timeout_with_commit_does_the_work(odoo_emulator: EmulatorHandle) -> None:
    odoo_emulator.timeout(2.0, method="create")
    with pytest.raises(httpx.ReadTimeout):
        _jsonrpc(odoo_emulator, "res.partner", "create", {"name": "Slow"}, timeout=0.2)
    assert _partners(odoo_emulator, "Slow") == 1


def test_timeout_without_commit_loses_the_call(odoo_emulator: EmulatorHandle) -> None:
    odoo_emulator.timeout(2.0, commit=False)
    with pytest.raises(httpx.ReadTimeout):
        _jsonrpc(odoo_emulator, "res.partner", "create", {"name": "Gone"}, timeout=0.2)
    assert _partners(odoo_emulator, "Gone") == 0


def test_delay_only_matching_calls(odoo_emulator: EmulatorHandle) -> None:
    odoo_emulator.delay(0.3, model="account.move")
    started = time.monotonic()
    _jsonrpc(odoo_emulator, "res.partner", "search_count", [])
    assert time.monotonic() - started < 0.25
    started = time.monotonic()
    _jsonrpc(odoo_emulator, "account.move", "search_count", [])
    assert time.monotonic() - started >= 0.3


def test_revoked_api_key_stops_working(odoo_emulator: EmulatorHandle) -> None:
    key = odoo_emulator.create_api_key()
    assert (
        _jsonrpc(odoo_emulator, "res.partner", "search_count", [], password=key).json()["result"]
        > 0
    )
    odoo_emulator.revoke_api_key(key)
    error = _jsonrpc(odoo_emulator, "res.partner", "search_count", [], password=key).json()["error"]
    assert error["data"]["name"] == "odoo.exceptions.AccessDenied"


def test_revoked_key_on_json2_is_401(odoo19_emulator: EmulatorHandle) -> None:
    key = odoo19_emulator.create_api_key()
    url = f"{odoo19_emulator.url}/json/2/res.partner/search_count"
    headers = {"Authorization": f"bearer {key}"}
    assert httpx.post(url, json={"domain": []}, headers=headers).status_code == 200
    odoo19_emulator.revoke_api_key(key)
    answer = httpx.post(url, json={"domain": []}, headers=headers)
    assert (answer.status_code, answer.json()["message"]) == (401, "Invalid apikey")


def test_password_change_refuses_the_old_one(odoo_emulator: EmulatorHandle) -> None:
    odoo_emulator.set_password("n3w")
    error = _jsonrpc(odoo_emulator, "res.partner", "search_count", []).json()["error"]
    assert error["data"]["message"] == "Access Denied"


def test_calls_are_recorded(odoo_emulator: EmulatorHandle) -> None:
    _jsonrpc(odoo_emulator, "res.partner", "search_count", [])
    _jsonrpc(odoo_emulator, "res.partner", "nope", [])
    calls = [(c.transport, c.model, c.model_method, c.ok) for c in odoo_emulator.calls]
    assert calls == [
        ("jsonrpc", "res.partner", "search_count", True),
        ("jsonrpc", "res.partner", "nope", False),
    ]
