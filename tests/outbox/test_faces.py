"""The jobs API, the jobs CLI and ``/metrics`` over the same outbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, update

from revbridge.api.app import create_app
from revbridge.config import Settings
from revbridge.outbox.metrics import HANDLER_SECONDS
from revbridge.outbox.tables import outbox_jobs
from revbridge.workspaces import Role

from .conftest import Jobs


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), engine)) as test_client:
        yield test_client


def _kill(engine: Engine, job_id: int, error: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(outbox_jobs).where(outbox_jobs.c.id == job_id).values(state="dead", last_error=error))


def test_jobs_api(client: TestClient, engine: Engine, jobs: Jobs, api_key: Callable[..., str]) -> None:
    admin = {"Authorization": f"Bearer {api_key(jobs.workspace_id)}"}
    reader = {"Authorization": f"Bearer {api_key(jobs.workspace_id, Role.READ_ONLY)}"}
    first, second, third = (jobs.add(k, aggregate=k, kind="odoo.invoice") for k in ("a", "b", "c"))
    _kill(engine, first, "permanent: account 4000 not mapped")
    _kill(engine, second, "permanent: account 4000 not mapped")
    _kill(engine, third, "permanent: tax missing")

    listed = client.get("/v1/jobs", params={"state": "dead", "limit": 2}, headers=reader)
    assert listed.status_code == 200, listed.text
    assert [j["id"] for j in listed.json()["data"]] == [third, second] and listed.json()["next_cursor"]
    shown = client.get(f"/v1/jobs/{first}", headers=reader).json()
    assert shown["state"] == "dead" and shown["payload"] == {"key": "a"}
    assert client.get("/v1/jobs/999999", headers=reader).status_code == 404

    assert client.post(f"/v1/jobs/{first}/retry", headers=reader).status_code == 403
    retried = client.post(f"/v1/jobs/{first}/retry", headers=admin)
    assert retried.status_code == 200 and retried.json()["state"] == "pending"
    assert client.post(f"/v1/jobs/{first}/retry", headers=admin).status_code == 200  # pending: runs now
    assert client.post("/v1/jobs/replay", headers=reader, json={"error": "4000"}).status_code == 403
    replayed = client.post("/v1/jobs/replay", headers=admin, json={"error": "4000"})
    assert replayed.json() == {"replayed": [second], "count": 1}
    assert client.post("/v1/jobs/replay", headers=admin, json={"ids": [third]}).json()["count"] == 1
    assert client.post("/v1/jobs/replay", headers=admin, json={}).status_code == 422
    naive = client.post("/v1/jobs/replay", headers=admin, json={"since": "2026-03-01T09:00:00"})
    assert naive.status_code == 422
    timed = client.get("/v1/jobs", params={"since": "2000-01-01T00:00:00Z", "kind": "odoo.invoice"}, headers=reader)
    assert len(timed.json()["data"]) == 3
    assert client.post("/v1/jobs/replay", headers=admin, json={"ids": [first]}).status_code == 409


def test_metrics_read_the_queue_at_scrape_time(client: TestClient, engine: Engine, jobs: Jobs) -> None:
    jobs.add("a", kind="odoo.invoice")
    jobs.add("b", kind="odoo.invoice", aggregate="b")
    dead = jobs.add("c", kind="crm.deal", aggregate="c")
    _kill(engine, dead, "x")
    HANDLER_SECONDS.labels("odoo.invoice", "odoo", "done").observe(0.02)
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(answer.text) for s in family.samples}
    assert samples[("revbridge_outbox_jobs", (("kind", "odoo.invoice"), ("state", "pending")))] == 2
    assert samples[("revbridge_outbox_dead_jobs", (("kind", "crm.deal"),))] == 1
    assert samples[("revbridge_outbox_oldest_pending_age_seconds", (("kind", "odoo.invoice"),))] >= 0
    assert ("revbridge_outbox_job_attempts", (("kind", "crm.deal"), ("state", "dead"))) in samples
    assert any(name == "revbridge_outbox_handler_seconds_count" for name, _ in samples)


@pytest.fixture
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """Run ``revbridge`` in process against the test database (the CLI tests run it as a subprocess)."""
    from typer.testing import CliRunner

    from revbridge.cli import context
    from revbridge.cli.main import app

    monkeypatch.setenv("REVBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    context.settings.cache_clear()
    context._engines.clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args), env={"COLUMNS": "160", "NO_COLOR": "1"})
    for opened in context._engines.values():
        opened.dispose()
    context._engines.clear()
    context.settings.cache_clear()


def test_jobs_cli(cli: Callable[..., Any], engine: Engine, jobs: Jobs) -> None:
    from revbridge.workspaces import find_workspace

    with engine.connect() as conn:
        name = find_workspace(conn, jobs.workspace_id)["name"]
    ids = [jobs.add(f"k{n}", aggregate=f"a{n}", kind="odoo.invoice", sink="odoo") for n in range(3)]
    _kill(engine, ids[0], "permanent: account 4000 not mapped")
    _kill(engine, ids[1], "permanent: account 4000 not mapped")

    listed = cli("jobs", "list", "--state", "dead", "--json", "-w", name)
    assert listed.exit_code == 0, listed.output
    assert [j["id"] for j in json.loads(listed.stdout)] == [ids[1], ids[0]]
    shown = cli("jobs", "show", str(ids[0]), "-w", name)
    assert "account 4000 not mapped" in shown.stdout and '{"key":"k0"}' in shown.stdout
    assert json.loads(cli("jobs", "show", str(ids[0]), "--json", "-w", name).stdout)["state"] == "dead"
    replayed = cli("jobs", "replay", "--error", "4000", "--kind", "odoo.invoice", "--json", "-w", name)
    assert json.loads(replayed.stdout) == {"replayed": ids[:2], "count": 2}
    assert json.loads(cli("jobs", "retry", str(ids[0]), "--json", "-w", name).stdout)["state"] == "pending"
    assert "replayed 0 job(s)" in cli("jobs", "replay", "--kind", "nothing", "-w", name).stdout


def test_dead_jobs_show_in_the_exceptions_list(engine: Any, workspace: str, scope_in: Any) -> None:
    from revbridge.ingest import quarantine
    from revbridge.outbox import enqueue
    from revbridge.outbox.tables import outbox_jobs

    with scope_in(workspace) as scope:
        enqueue(scope, "invoice.finalized", "k-1", "customer:c", {"document_id": "d"}, sink="odoo")
        scope.conn.execute(outbox_jobs.update().values(state="dead", last_error="permanent: no tax mapped"))
    with scope_in(workspace) as scope:
        page = quarantine.with_dead_jobs(scope, quarantine.list_exceptions(scope), "open", None)
        assert [(r["reason"], r["problems"][0]["reason"]) for r in page.rows] == [
            ("dead_job", "permanent: no tax mapped")]
        assert quarantine.with_dead_jobs(scope, quarantine.list_exceptions(scope, "replayed"), "replayed", None).rows == []
