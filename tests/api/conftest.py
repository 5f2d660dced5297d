"""An API client on each backend, with a workspace, its admin key and the small catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from revbridge.api.app import create_app
from revbridge.config import Settings

CATALOG_YAML = """
plans:
  - code: pro
    name: Pro
    currency: USD
    interval: month
    prices:
      - {code: platform, model: flat, amount: "199.00"}
      - {code: seats, model: per_unit, amount: "12.00"}
"""


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), engine)) as test_client:
        yield test_client


@pytest.fixture
def admin(workspace: str, api_key: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key(workspace)}"}


@pytest.fixture
def seeded(client: TestClient, admin: dict[str, str]) -> dict[str, str]:
    """Entity, catalog and customer acme in the admin's workspace; returns the headers."""
    ok = client.post("/v1/legal-entities", headers=admin, json={
        "code": "us", "name": "Us Inc", "currency": "USD", "country": "US", "invoice_prefix": "US"})
    assert ok.status_code == 201, ok.text
    ok = client.post("/v1/catalog/apply", headers={**admin, "Content-Type": "application/yaml"}, content=CATALOG_YAML)
    assert ok.status_code == 200, ok.text
    ok = client.post("/v1/customers", headers=admin, json={"key": "acme", "name": "Acme", "country": "US"})
    assert ok.status_code == 201, ok.text
    return admin


def problem_fields(response: Any) -> set[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return {e["field"] for e in response.json().get("errors", [])}
