"""``revbridge serve`` is a real HTTP server: it migrates, listens and answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_openapi_and_health(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVBRIDGE_")}
    proc = subprocess.Popen([sys.executable, "-m", "revbridge", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        doc = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert doc["info"]["title"] == "revbridge" and "/v1/subscriptions" in doc["paths"]
        assert httpx.get(f"http://127.0.0.1:{port}/v1/customers", timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    log = tmp_path / "revbridge.db-wal"  # a stopped server leaves SQLite's log empty: the next process copies nothing
    assert (tmp_path / "revbridge.db").stat().st_size > 0 and (not log.exists() or log.stat().st_size == 0)
