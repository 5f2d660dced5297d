"""The command line end to end: demo, catalog, customers, subscriptions, config, purge, exit codes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from .conftest import Runner

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_demo_prints_its_summary_and_can_run_again(revbridge: Runner, tmp_path: Path) -> None:
    first = revbridge("demo")
    assert first.returncode == 0, first.stderr
    for text in ("Plans and prices", "Customers", "Subscriptions and their phases", "Backdated upgrade of acme"):
        assert text in first.stdout
    assert (tmp_path / "revbridge.db").exists()
    second = revbridge("demo")
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("acme") == first.stdout.count("acme")


@pytest.mark.postgres
def test_demo_runs_on_postgresql(revbridge: Runner, pg_engine: Engine, pg_url: str) -> None:
    done = revbridge("demo", env={"REVBRIDGE_DATABASE_URL": pg_url})
    assert done.returncode == 0, done.stderr
    assert "Subscriptions and their phases" in done.stdout


def test_catalog_workflow_and_refusals(revbridge: Runner, tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "catalog.yaml", tmp_path / "catalog.yaml")
    assert revbridge("workspace", "create", "default").returncode == 0
    valid = revbridge("catalog", "validate", "catalog.yaml")
    assert valid.returncode == 0 and "valid" in valid.stdout
    diff = json.loads(revbridge("catalog", "diff", "catalog.yaml", "--json").stdout)
    assert {c["action"] for c in diff["changes"]} == {"create"} and diff["pending"] > 0
    assert revbridge("catalog", "apply", "catalog.yaml").returncode == 0
    assert json.loads(revbridge("catalog", "diff", "catalog.yaml", "--json").stdout)["pending"] == 0

    (tmp_path / "bad.yaml").write_text("plans:\n  - code: x\n    name: [unclosed\n")
    bad = revbridge("catalog", "validate", "bad.yaml")
    assert bad.returncode == 1 and re.search(r"bad\.yaml:\d+:\d+: .*flow sequence", bad.stderr), bad.stderr


def test_customers_and_subscriptions(revbridge: Runner, tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "catalog.yaml", tmp_path / "catalog.yaml")
    for args in (
        ("workspace", "create", "default"),
        ("legal-entity", "create", "us", "--name", "Us Inc", "--currency", "USD", "--country", "US", "--invoice-prefix", "US"),
        ("catalog", "apply", "catalog.yaml"),
        ("customer", "create", "acme", "--name", "Acme", "--country", "US", "--external-id", "product=t-1"),
    ):
        done = revbridge(*args)
        assert done.returncode == 0, (args, done.stderr)
    sub = json.loads(revbridge("subscription", "create", "acme", "starter", "--starts-at", "2026-01-01",
                               "--trial-days", "0", "--json").stdout)
    upgraded = revbridge("subscription", "change-plan", sub["id"], "growth", "--at", "2026-01-15")
    assert upgraded.returncode == 0, upgraded.stderr
    early = json.loads(revbridge("subscription", "show", sub["id"], "--as-of", "2026-01-10", "--json").stdout)
    late = json.loads(revbridge("subscription", "show", sub["id"], "--as-of", "2026-02-10", "--json").stdout)
    assert (early["current"]["plan"], late["current"]["plan"]) == ("starter", "growth")
    clash = revbridge("subscription", "change-quantity", sub["id"], "3", "--at", "2026-01-15")
    assert clash.returncode == 1 and "same instant" in clash.stderr
    naive = revbridge("subscription", "change-quantity", sub["id"], "3", "--at", "2026-01-20T10:00:00")
    assert naive.returncode == 1 and "--at" in naive.stderr


def test_api_keys_from_the_cli(revbridge: Runner) -> None:
    assert revbridge("workspace", "create", "default").returncode == 0
    made = json.loads(revbridge("apikey", "create", "--name", "ingest", "--role", "ingest", "--json").stdout)
    assert made["secret"].startswith("rb_")
    listed = revbridge("apikey", "list", "--json")
    assert made["secret"] not in listed.stdout and made["id"] in listed.stdout
    assert revbridge("apikey", "revoke", made["id"]).returncode == 0
    assert json.loads(revbridge("apikey", "list", "--json").stdout)[0]["revoked_at"]


def test_config_show_masks_secrets(revbridge: Runner) -> None:
    shown = revbridge("config", "show", "--json", env={"REVBRIDGE_SECRET_ODOO_KEY": "hunter2",
                                                      "REVBRIDGE_DATABASE_URL": "postgresql://rb:pw@127.0.0.1/x"})
    assert shown.returncode == 0
    data = json.loads(shown.stdout)
    assert "hunter2" not in shown.stdout and ":pw@" not in shown.stdout
    assert data["secrets"] == {"odoo_key": "********"}


def test_unknown_workspace_and_unreachable_database_exit_codes(revbridge: Runner) -> None:
    missing = revbridge("customer", "list", "--workspace", "nope")
    assert missing.returncode == 1 and "no workspace named 'nope'" in missing.stderr
    down = revbridge("customer", "list", env={"REVBRIDGE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert down.returncode == 3 and "unavailable" in down.stderr


def test_events_purge_follows_the_workspace_retention(revbridge: Runner) -> None:
    assert revbridge("workspace", "create", "default").returncode == 0
    unset = json.loads(revbridge("events", "purge", "--json").stdout)
    assert unset == {"purged": 0, "before": None, "retention_days": None}
    assert revbridge("workspace", "set", "default", "usage_retention_days", "40").returncode == 0
    dry = json.loads(revbridge("events", "purge", "--dry-run", "--json").stdout)
    assert dry["purged"] == 0 and dry["retention_days"] == 40
    assert dry["before"].endswith(":00:00Z")  # a whole hour: rollups are kept or purged whole
    assert json.loads(revbridge("events", "purge", "--json").stdout)["before"] == dry["before"]
