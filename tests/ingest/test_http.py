"""``POST /v1/events`` and friends over the real ASGI app, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from fastapi.testclient import TestClient

from revbridge.api.app import create_app
from revbridge.config import Settings
from revbridge.workspaces import Role

from .store_fixtures import BATCH, SINGLE, UsageWorld


@pytest.fixture
def http(usage_world: UsageWorld, api_key: Callable[..., str]) -> Any:
    settings = Settings(ingest_max_body_bytes=200_000, ingest_max_batch_events=50)
    with TestClient(create_app(settings, usage_world.engine)) as client:
        client.headers["Authorization"] = f"Bearer {api_key(usage_world.workspace_id, Role.INGEST)}"
        yield client


def post(client: TestClient, body: Any, content_type: str = BATCH) -> Any:
    raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
    return client.post("/v1/events", content=raw, headers={"Content-Type": content_type})


def test_batch_answers_counts_and_per_event_errors(http: TestClient, event: Callable[..., Any]) -> None:
    good = event()
    answer = post(http, [good, good, event(subject="nobody"), event(time="2026-13-01")])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (1, 1, 2)
    assert {(e["index"], e["field"]) for e in body["errors"]} == {(2, "events[2].subject"), (3, "events[3].time")}
    assert all(e["exception_id"].startswith("exc_") for e in body["errors"])


def test_single_event_accepted_or_refused(http: TestClient, event: Callable[..., Any]) -> None:
    assert post(http, event(), SINGLE).json()["accepted"] == 1
    refused = post(http, event(type="nope"), SINGLE)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == "type"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"x" * 200_001, 413, "body"),
        (b"[" + b",".join([b'{"a":1}'] * 51) + b"]", 413, None),
        (b"\xff\xfe not utf-8", 422, None),
        (b"[" * 5000 + b"]" * 5000, 422, None),
        (b'[{"id":"1","id":"2"}]', 422, None),
        (b"{not json", 422, None),
    ],
    ids=["body-over-limit", "batch-over-limit", "invalid-utf8", "nested-deep", "duplicate-keys", "malformed"],
)
def test_bad_bodies_are_refused_cleanly_and_kept(http: TestClient, body: bytes, status: int, field: str | None) -> None:
    answer = post(http, body)
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert problem["status"] == status and problem["errors"]
    if status == 422:
        assert problem["exception_id"].startswith("exc_")
        admin_view = http.get("/v1/exceptions", params={"state": "open"}, headers={"Authorization": ""})
        assert admin_view.status_code == 401
    if field:
        assert problem["errors"][0]["field"] == field


def test_wrong_media_type_is_415(http: TestClient, event: Callable[..., Any]) -> None:
    assert post(http, [event()], "text/plain").status_code == 415


def test_read_only_key_cannot_send(http: TestClient, usage_world: UsageWorld, api_key: Callable[..., str],
                                   event: Callable[..., Any]) -> None:
    reader = {"Authorization": f"Bearer {api_key(usage_world.workspace_id, Role.READ_ONLY)}", "Content-Type": BATCH}
    assert http.post("/v1/events", content=msgspec.json.encode([event()]), headers=reader).status_code == 403


def test_usage_stats_and_replay_over_http(http: TestClient, usage_world: UsageWorld, api_key: Callable[..., str],
                                          event: Callable[..., Any]) -> None:
    post(http, [event(), event(), event(subject="later")])
    admin = {"Authorization": f"Bearer {api_key(usage_world.workspace_id, Role.ADMIN)}"}
    created = http.post("/v1/customers", headers=admin,
                        json={"key": "later", "name": "Later", "country": "US", "legal_entity": "us"})
    assert created.status_code == 201, created.text
    replayed = http.post("/v1/exceptions/replay", headers=admin, params={"reason": "unknown_customer"}).json()
    assert (replayed["replayed"], replayed["accepted"]) == (1, 1)
    stats = http.get("/v1/events/stats", headers=admin).json()["data"]
    assert [(d["received"], d["accepted"], d["rejected"]) for d in stats] == [(3, 3, 0)]
    usage = http.get("/v1/usage", headers=admin, params={
        "meter": "calls", "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}).json()
    assert sorted(float(0) + int(r["quantity"]) for r in usage["data"]) == [1, 2]
