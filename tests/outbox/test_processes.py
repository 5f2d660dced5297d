"""The real commands: ``revbridge worker`` with a plug-in sink, and ``serve`` delivering in process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select

from revbridge.log import log_context
from revbridge.outbox import enqueue
from revbridge.outbox.tables import outbox_jobs
from revbridge.scope import transaction, utcnow
from revbridge.store.engine import open_engine
from revbridge.store.migrate import upgrade
from revbridge.workspaces import create_workspace

ROOT = Path(__file__).resolve().parents[2]


def _database(tmp_path: Path, jobs: int, sink: str) -> tuple[str, Engine, list[int]]:
    url = f"sqlite:///{tmp_path}/rb.db"
    engine = open_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        workspace_id = create_workspace(conn, "acme", utcnow())["id"]
    with log_context(correlation_id="req-7"), transaction(engine, workspace_id, "test") as scope:
        ids = [enqueue(scope, "test.kind", f"key-{n}", f"agg-{n % 3}", {"n": n}, sink) for n in range(jobs)]
    return url, engine, ids


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVBRIDGE_")}
    env.update({"REVBRIDGE_DATABASE_URL": url, "PYTHONPATH": str(ROOT), **extra})
    return env


def _wait(condition: Callable[[], bool], proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, "the process ended early"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    except httpx.TransportError:
        return False
    return True


def _done(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(outbox_jobs.c.state == "done")).scalar_one())


def test_worker_command_delivers_logs_json_and_stops_on_sigterm(tmp_path: Path) -> None:
    url, engine, ids = _database(tmp_path, 20, "file")
    effects = tmp_path / "effects.txt"
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "revbridge", "worker", "--concurrency", "2", "--metrics-port", str(port),
         "--plugin", "tests.outbox.file_sink:register"],
        cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        env=_env(url, REVBRIDGE_TEST_EFFECTS_FILE=str(effects), REVBRIDGE_LOG_FORMAT="json",
                 REVBRIDGE_LOG_LEVEL="DEBUG"),
    )
    try:
        _wait(lambda: _done(engine) == len(ids), proc)
        timings = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'revbridge_outbox_handled_total{kind="test.kind",outcome="done"} 20.0' in timings
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert sorted(effects.read_text().split()) == sorted(f"key-{n}" for n in range(20))
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    delivered = [line for line in lines if line.get("event") == "job delivered"]
    assert len(delivered) == 20
    assert {d["correlation_id"] for d in delivered} == {"req-7"}
    assert {d["job_id"] for d in delivered} == set(ids) and all(d["workspace"] for d in delivered)
    assert any(line.get("event") == "worker stopped" for line in lines)
    engine.dispose()


def test_serve_delivers_in_process_in_the_embedded_shape(tmp_path: Path) -> None:
    url, engine, ids = _database(tmp_path, 5, "noop")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "revbridge", "serve", "--port", str(port)], cwd=tmp_path,
                            env=_env(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _done(engine) == len(ids), proc)
        _wait(lambda: _listening(port), proc)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert 'revbridge_outbox_handled_total{kind="test.kind",outcome="done"} 5.0' in metrics.text
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    engine.dispose()
