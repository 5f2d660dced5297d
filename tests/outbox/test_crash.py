"""Crash safety with real processes on PostgreSQL: kill -9 workers at random moments.

Delivery is at least once and the sink is idempotent by key, so "exactly once" is about
effects: every job ends done, every key landed (distinct keys = jobs), no job is done
without its effect, and per-aggregate order held even across the crashes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, func, select

from revbridge.outbox import enqueue
from revbridge.outbox.tables import outbox_jobs
from revbridge.scope import transaction, utcnow
from revbridge.workspaces import create_workspace

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
JOBS = 300
STARTUP_SECONDS = 8.0  # a loaded 2-core machine needs a while to import and start a worker
AGGREGATES = 30


def _spawn(pg_url: str, table: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVBRIDGE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.outbox.crash_worker", pg_url, table, "0.02"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _done(engine: Engine, workspace_id: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(
            outbox_jobs.c.workspace_id == workspace_id, outbox_jobs.c.state == "done")).scalar_one())


def test_kill_9_at_random_moments_loses_nothing_and_lands_every_effect_once(
    pg_url: str, pg_engine: Engine
) -> None:
    table = f"crash_effects_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (key text PRIMARY KEY, aggregate text, job_id bigint, "
                     f"deliveries int NOT NULL DEFAULT 1, seq bigserial)")
    with pg_engine.begin() as conn:
        workspace_id = create_workspace(conn, f"crash-{uuid.uuid4().hex[:8]}", utcnow())["id"]
    with transaction(pg_engine, workspace_id, "test") as scope:
        for n in range(JOBS):
            enqueue(scope, "crash.effect", f"effect-{n}", f"agg-{n % AGGREGATES}", {"n": n}, "effects")

    rng = random.Random(20260301)
    workers = [_spawn(pg_url, table) for _ in range(3)]
    born = [time.monotonic()] * len(workers)
    kills = 0
    deadline = time.monotonic() + 45
    try:
        while time.monotonic() < deadline and _done(pg_engine, workspace_id) < JOBS:
            # Often enough that the workers cannot finish between three kills on a fast machine.
            time.sleep(rng.uniform(0.1, 0.4))
            if kills < 12 and _done(pg_engine, workspace_id) < JOBS * 0.9:
                victim = rng.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                kills += 1
                workers[victim] = _spawn(pg_url, table)
                born[victim] = time.monotonic()
    finally:
        # a worker started a moment ago may not have installed its SIGTERM handler yet
        time.sleep(max(0.0, max(born) + STARTUP_SECONDS - time.monotonic()))
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                assert proc.wait(timeout=15) == 0  # graceful shutdown exits cleanly
            except subprocess.TimeoutExpired:
                proc.kill()
                raise

    with pg_engine.connect() as conn:
        states = dict(conn.execute(
            select(outbox_jobs.c.state, func.count()).where(outbox_jobs.c.workspace_id == workspace_id)
            .group_by(outbox_jobs.c.state)).all())
        done_keys = set(conn.execute(select(outbox_jobs.c.key).where(
            outbox_jobs.c.workspace_id == workspace_id, outbox_jobs.c.state == "done")).scalars())
    with psycopg.connect(pg_url, autocommit=True) as conn:
        try:
            effects = conn.execute(f"SELECT key, aggregate, job_id, deliveries, seq FROM {table}").fetchall()
        finally:
            conn.execute(f"DROP TABLE {table}")

    assert kills >= 3
    assert states == {"done": JOBS}, states  # nothing lost, nothing left running or dead
    landed = {key for key, *_ in effects}
    assert len(landed) == JOBS == len(effects)  # every effect landed, once per key
    assert done_keys <= landed  # no job is done without its effect
    order: dict[str, list[tuple[int, int]]] = {}
    for _, aggregate, job_id, _, seq in effects:
        order.setdefault(aggregate, []).append((seq, job_id))
    for firsts in order.values():  # first landings follow job order within each aggregate
        by_landing = [job_id for _, job_id in sorted(firsts)]
        assert by_landing == sorted(by_landing)
