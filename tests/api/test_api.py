"""The REST API: auth and roles, workspace isolation, problems, idempotency, pagination."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from revbridge.workspaces import Role

from .conftest import problem_fields


def test_openapi_document_lists_the_routes(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path in ("/v1/customers", "/v1/catalog/apply", "/v1/subscriptions/{sub_id}/change-plan", "/v1/api-keys"):
        assert path in doc["paths"]


def test_missing_unknown_and_revoked_keys_are_401(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get("/v1/customers").status_code == 401
    assert client.get("/v1/customers", headers={"Authorization": "Bearer rb_wrong"}).status_code == 401
    created = client.post("/v1/api-keys", headers=admin, json={"name": "tmp", "role": "admin"}).json()
    temp = {"Authorization": f"Bearer {created['secret']}"}
    assert client.get("/v1/customers", headers=temp).status_code == 200
    assert client.post(f"/v1/api-keys/{created['id']}/revoke", headers=admin).json()["revoked_at"]
    refused = client.get("/v1/customers", headers=temp)
    assert refused.status_code == 401 and refused.json()["detail"] == "the API key is unknown or revoked"


def test_read_only_key_cannot_write(client: TestClient, workspace: str, api_key: Callable[..., str]) -> None:
    reader = {"Authorization": f"Bearer {api_key(workspace, Role.READ_ONLY)}"}
    assert client.get("/v1/customers", headers=reader).status_code == 200
    refused = client.post("/v1/customers", headers=reader, json={"key": "x", "name": "X", "country": "US"})
    assert refused.status_code == 403 and "role admin" in refused.json()["detail"]


def test_one_workspace_key_cannot_see_another_workspace_customer(
    client: TestClient, seeded: dict[str, str], workspace_factory: Callable[..., str], api_key: Callable[..., str]
) -> None:
    acme = client.get("/v1/customers/acme", headers=seeded).json()
    other = {"Authorization": f"Bearer {api_key(workspace_factory('other'))}"}
    assert client.get(f"/v1/customers/{acme['id']}", headers=other).status_code == 404
    assert client.get("/v1/customers", headers=other).json()["data"] == []
    moved = client.post("/v1/subscriptions", headers=other,
                        json={"customer": acme["id"], "plan": "pro", "starts_at": "2026-01-01T00:00:00Z"})
    assert moved.status_code == 404


def test_bad_bodies_are_problems_naming_the_field(client: TestClient, seeded: dict[str, str]) -> None:
    bad = client.post("/v1/customers", headers=seeded, json={"key": "b", "name": "B", "country": "Germany", "extra": 1})
    assert bad.status_code == 422 and problem_fields(bad) == {"extra"}
    bad = client.post("/v1/customers", headers=seeded, json={"key": "b", "name": "B", "country": "Germany"})
    assert bad.status_code == 422 and problem_fields(bad) == {"country"}
    naive = client.post("/v1/subscriptions", headers=seeded,
                        json={"customer": "acme", "plan": "pro", "starts_at": "2026-01-01T00:00:00"})
    assert naive.status_code == 422 and problem_fields(naive) == {"starts_at"}
    broken = client.post("/v1/customers", headers={**seeded, "Content-Type": "application/json"}, content=b"{nope")
    assert broken.status_code == 422


def test_catalog_errors_name_line_and_field(client: TestClient, admin: dict[str, str]) -> None:
    yaml = "plans:\n  - code: pro\n    name: Pro\n    currency: USD\n    interval: month\n    prices:\n" \
           "      - {code: api, model: per_unit, meter: nope, amount: '-1'}\n"
    bad = client.post("/v1/catalog/validate", headers={**admin, "Content-Type": "application/yaml"}, content=yaml)
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert any("meter" in e["field"] and e["source"].endswith(":7") for e in errors), errors


def test_subscription_lifecycle_over_http(client: TestClient, seeded: dict[str, str]) -> None:
    sub = client.post("/v1/subscriptions", headers=seeded, json={
        "customer": "acme", "plan": "pro", "starts_at": "2026-01-01T00:00:00Z", "quantity": 3}).json()
    changed = client.post(f"/v1/subscriptions/{sub['id']}/change-quantity", headers=seeded,
                          json={"quantity": 5, "effective_at": "2026-01-16T00:00:00Z"})
    assert changed.status_code == 200, changed.text
    clash = client.post(f"/v1/subscriptions/{sub['id']}/change-quantity", headers=seeded,
                        json={"quantity": 6, "effective_at": "2026-01-16T00:00:00Z"})
    assert clash.status_code == 409 and problem_fields(clash) == {"effective_at"}
    early = client.get(f"/v1/subscriptions/{sub['id']}", headers=seeded, params={"as_of": "2026-01-10T00:00:00Z"}).json()
    late = client.get(f"/v1/subscriptions/{sub['id']}", headers=seeded, params={"as_of": "2026-01-20T00:00:00Z"}).json()
    assert (early["current"]["quantity"], late["current"]["quantity"]) == (3, 5)
    assert late["phases"][1]["starts_at"] == "2026-01-16T00:00:00Z"


def test_amounts_are_strings_never_floats(client: TestClient, seeded: dict[str, str]) -> None:
    plan = client.get("/v1/plans/pro", headers=seeded).json()
    assert plan["prices"][0]["amount"] == "199"


def test_idempotency_key_replays_the_first_answer(client: TestClient, seeded: dict[str, str]) -> None:
    headers = {**seeded, "Idempotency-Key": "create-globex-1"}
    body = {"key": "globex", "name": "Globex", "country": "US"}
    first = client.post("/v1/customers", headers=headers, json=body)
    second = client.post("/v1/customers", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
    assert len(client.get("/v1/customers", headers=seeded).json()["data"]) == 2
    other = client.post("/v1/customers", headers=headers, json={**body, "name": "Globex Corp"})
    assert other.status_code == 409 and problem_fields(other) == {"Idempotency-Key"}


def test_idempotency_keys_are_per_workspace(
    client: TestClient, seeded: dict[str, str], workspace_factory: Callable[..., str], api_key: Callable[..., str]
) -> None:
    other = {"Authorization": f"Bearer {api_key(workspace_factory('other'))}", "Idempotency-Key": "k1"}
    mine = {**seeded, "Idempotency-Key": "k1"}
    entity = {"code": "us", "name": "Us", "currency": "USD", "country": "US", "invoice_prefix": "US"}
    assert client.post("/v1/legal-entities", headers=other, json=entity).status_code == 201
    assert client.post("/v1/customers", headers=mine, json={"key": "z", "name": "Z", "country": "US"}).status_code == 201


def test_a_refused_request_is_replayed_as_refused(client: TestClient, seeded: dict[str, str]) -> None:
    headers = {**seeded, "Idempotency-Key": "dup-acme"}
    body = {"key": "acme", "name": "Acme again", "country": "US"}
    assert client.post("/v1/customers", headers=headers, json=body).status_code == 409
    again = client.post("/v1/customers", headers=headers, json=body)
    assert again.status_code == 409 and again.headers["idempotent-replayed"] == "true"


def test_cursor_pagination_walks_every_row_once(client: TestClient, seeded: dict[str, str]) -> None:
    for n in range(7):
        client.post("/v1/customers", headers=seeded, json={"key": f"c{n}", "name": f"C{n}", "country": "US"})
    seen, cursor = [], None
    while True:
        page = client.get("/v1/customers", headers=seeded, params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [c["key"] for c in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(["acme", *[f"c{n}" for n in range(7)]]) and len(seen) == 8
    bad = client.get("/v1/customers", headers=seeded, params={"cursor": "%%%"})
    assert bad.status_code == 422 and problem_fields(bad) == {"cursor"}
