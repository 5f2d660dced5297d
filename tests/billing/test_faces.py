"""The API and the CLI over the billing services."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from revbridge.api.app import create_app
from revbridge.billing.sources import set_usage_factory
from revbridge.config import Settings
from revbridge.domain.period import utc

from .conftest import World

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def client(world: World, api_key: Callable[..., str]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    set_usage_factory(lambda scope: world.usage)
    try:
        with TestClient(create_app(Settings(), world.engine)) as test_client:
            yield test_client, {"Authorization": f"Bearer {api_key(world.workspace)}"}
    finally:
        set_usage_factory(None)


def test_api_runs_lists_shows_credits_and_previews(world: World, client: tuple[TestClient, dict[str, str]]) -> None:
    http, auth = client
    sub = world.subscribe("acme", "basic")
    world.use("acme", 3000, utc(2026, 1, 3))
    ran = http.post("/v1/billing/runs", headers=auth, json={"as_of": "2026-02-01T00:00:00Z"})
    assert ran.status_code == 201, ran.text
    assert [i["total"] for i in ran.json()["invoices"]] == ["62.00"]  # Jan 29.00 + 2,000 x 0.002 + Feb 29.00
    listed = http.get("/v1/invoices", headers=auth, params={"customer": "acme"}).json()["data"]
    assert [d["number"] for d in listed] == ["US-2026-000001"]
    shown = http.get("/v1/invoices/US-2026-000001", headers=auth).json()
    assert [line["tier_breakdown"]["tiers"][1]["units"] for line in shown["lines"] if line["meter_code"]] == ["2000"]
    credit = http.post(f"/v1/invoices/{shown['id']}/credit", headers=auth, json={"reason": "goodwill", "amount": "5.00"})
    assert credit.status_code == 201 and credit.json()["number"] == "US-CN-2026-000001"
    upcoming = http.get("/v1/customers/acme/upcoming-invoice", headers=auth,
                        params={"as_of": "2026-02-10T00:00:00Z"}).json()
    assert upcoming["run_at"] == "2026-03-01T00:00:00Z"
    what_if = http.post(f"/v1/subscriptions/{sub}/preview-change", headers=auth,
                        json={"plan": "pro", "effective_at": "2026-02-15T00:00:00Z"})
    assert what_if.status_code == 200, what_if.text
    rates = http.post("/v1/tax-rates", headers=auth, json={"legal_entity": "us", "country": "US", "rate": "7.25",
                                                           "region": "CA"})
    assert rates.status_code == 200 and rates.json()["rate"] == "7.25"
    refused = http.post("/v1/billing/runs", headers=auth, json={"as_of": "2026-01-15T00:00:00Z"})
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "as_of"


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "revbridge", *args], check=False, cwd=tmp_path, capture_output=True,
                          text=True,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "160", "NO_COLOR": "1"}, timeout=120)


def test_cli_billing_run_show_list_and_refusal(tmp_path: Path) -> None:
    """Set up in-process on the file the command uses, then bill, show and list through the CLI."""
    from revbridge.billing.taxes import set_tax_rate
    from revbridge.catalog.apply import apply_catalog
    from revbridge.catalog.customers import create_customer
    from revbridge.catalog.entities import create_legal_entity
    from revbridge.catalog.spec import load_catalog
    from revbridge.catalog.subscriptions import create_subscription
    from revbridge.scope import transaction
    from revbridge.store.engine import open_engine
    from revbridge.store.migrate import upgrade
    from revbridge.workspaces import create_workspace

    eng = open_engine(f"sqlite:///{tmp_path / 'revbridge.db'}")
    upgrade(eng)
    with eng.begin() as conn:
        ws = create_workspace(conn, "default", utc(2026, 1, 1))["id"]
    with transaction(eng, ws, "test", utc(2026, 1, 1)) as scope:
        create_legal_entity(scope, {"code": "us", "name": "Us Inc", "currency": "USD", "country": "US",
                                    "invoice_prefix": "US"})
        set_tax_rate(scope, "us", "US", "0")
        apply_catalog(scope, load_catalog((EXAMPLES / "catalog.yaml").read_text(), "catalog.yaml"))
        create_customer(scope, {"key": "acme", "name": "Acme", "country": "US"})
        create_subscription(scope, "acme", "starter", utc(2026, 1, 1), trial_days=0)
    eng.dispose()
    ran = _cli(tmp_path, "billing", "run", "--as-of", "2026-01-02", "--json")
    assert ran.returncode == 0, ran.stderr
    assert [i["number"] for i in json.loads(ran.stdout)["invoices"]] == ["US-2026-000001"]
    shown = _cli(tmp_path, "invoice", "show", "US-2026-000001")
    assert "Platform fee" in shown.stdout and "total 29.00" in shown.stdout, shown.stdout
    listed = json.loads(_cli(tmp_path, "invoice", "list", "--json").stdout)
    assert [d["total"] for d in listed] == ["29.00"]
    refused = _cli(tmp_path, "billing", "run", "--as-of", "2025-12-31")
    assert refused.returncode == 1 and "billed through" in refused.stderr
