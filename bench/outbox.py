"""Outbox throughput and idle latency, on PostgreSQL (4 worker processes) and SQLite (1).

    python bench/outbox.py            # full counts
    python bench/outbox.py --quick    # small counts for CI, well under 30 s

Prints one figure a line, ``name: value unit``:

- ``pg_jobs_per_s`` / ``sqlite_jobs_per_s``: a backlog of no-op jobs (chains of 10 per
  aggregate, so per-aggregate ordering is exercised) drained by the workers, counted from
  the commit that enqueued them to the last ``done``; target >= 1,000 on PostgreSQL with
  4 processes and >= 500 on SQLite with one;
- ``pg_idle_latency_ms`` / ``sqlite_idle_latency_ms``: median time from an enqueue's
  commit to its handler starting, with the workers idle (target < 50 ms).

PostgreSQL: a throw-away database on ``REVBRIDGE_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``), dropped at the end; skipped with a
note when unreachable. Worker processes run this file with ``--serve``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, func, select

from revbridge.outbox import Job, NoopSink, Registry, Worker, WorkerOptions, enqueue
from revbridge.outbox.tables import outbox_jobs
from revbridge.outbox.wakeup import announce
from revbridge.scope import transaction, utcnow
from revbridge.store.engine import open_engine
from revbridge.store.migrate import upgrade
from revbridge.workspaces import create_workspace

PG_ADMIN_URL = os.environ.get("REVBRIDGE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class StampSink:
    """Writes when each job started, so the bench can measure enqueue-to-start latency."""

    name = "stamp"

    def __init__(self, path: str) -> None:
        self._path = path

    def deliver(self, job: Job) -> None:
        started = time.time()
        with open(self._path, "a") as out:
            out.write(f"{job.payload['n']} {started}\n")


def serve(url: str, stamp_path: str, batch_size: int) -> None:
    """A worker process: the no-op and stamp sinks, until SIGTERM."""
    registry = Registry().add_sink(NoopSink()).add_sink(StampSink(stamp_path))
    worker = Worker(open_engine(url), registry, options=WorkerOptions(concurrency=1, batch_size=batch_size))
    worker.start()
    print("ready", flush=True)
    worker.run(handle_signals=True)


@contextmanager
def workers(url: str, count: int, stamp_path: str, batch_size: int) -> Iterator[None]:
    procs = [
        subprocess.Popen([sys.executable, __file__, "--serve", url, stamp_path, str(batch_size)],
                         stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # let the idle loops settle into polling
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def workspace(engine: Engine) -> str:
    with engine.begin() as conn:
        return str(create_workspace(conn, f"bench-{uuid.uuid4().hex[:8]}", utcnow())["id"])


def throughput(engine: Engine, workspace_id: str, count: int) -> float:
    """Enqueue ``count`` no-op jobs in one transaction; jobs per second until all are done."""
    now = utcnow()
    run = uuid.uuid4().hex[:6]
    rows: list[dict[str, Any]] = [
        {"workspace_id": workspace_id, "kind": "bench.noop", "key": f"{run}-{n}", "aggregate": f"{run}-{n // 10}",
         "sink": "noop", "payload": {"n": n}, "state": "pending", "attempts": 0, "next_attempt_at": now,
         "created_at": now, "updated_at": now}
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(outbox_jobs.insert(), rows)
        announce(conn)
    started = time.perf_counter()
    query = select(func.count()).where(outbox_jobs.c.workspace_id == workspace_id, outbox_jobs.c.state == "done",
                                       outbox_jobs.c.key.like(f"{run}-%"))
    while True:
        with engine.connect() as conn:
            done = conn.execute(query).scalar_one()
        if done >= count:
            return count / (time.perf_counter() - started)
        if time.perf_counter() - started > 300:
            raise RuntimeError(f"only {done} of {count} jobs done after 300 s")
        time.sleep(0.01)


def idle_latency(engine: Engine, workspace_id: str, stamp_path: str, samples: int) -> float:
    """Median milliseconds from an enqueue's commit to its handler starting, workers idle."""
    committed: dict[int, float] = {}
    for n in range(samples):
        time.sleep(0.12)  # idle long enough for the pollers to back off fully
        with transaction(engine, workspace_id, "bench") as scope:
            enqueue(scope, "bench.stamp", f"stamp-{uuid.uuid4().hex}", f"stamp-{n}", {"n": n}, "stamp")
        committed[n] = time.time()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        started = dict(line.split() for line in Path(stamp_path).read_text().splitlines())
        if len(started) >= samples:
            break
        time.sleep(0.05)
    delays = [(float(started[str(n)]) - committed[n]) * 1000 for n in range(samples)]
    return statistics.median(delays)


def bench_backend(name: str, url: str, processes: int, jobs: int, samples: int, batch_size: int) -> None:
    engine = open_engine(url)
    upgrade(engine)
    ws = workspace(engine)
    with tempfile.TemporaryDirectory() as tmp:
        stamp_path = str(Path(tmp) / "stamps.txt")
        Path(stamp_path).touch()
        with workers(url, processes, stamp_path, batch_size):
            throughput(engine, ws, min(500, jobs))  # warm up connections and caches
            print(f"{name}_jobs_per_s: {throughput(engine, ws, jobs):.0f} jobs/s", flush=True)
            print(f"{name}_idle_latency_ms: {idle_latency(engine, ws, stamp_path, samples):.1f} ms", flush=True)
    engine.dispose()


@contextmanager
def throwaway_pg() -> Iterator[str | None]:
    name = f"revbridge_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"# PostgreSQL unavailable, skipped: {str(exc).strip()}", file=sys.stderr)
        yield None
        return
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts, for CI")
    parser.add_argument("--serve", nargs=3, metavar=("URL", "STAMPS", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return
    jobs_pg, jobs_sqlite, samples = (3000, 2000, 10) if args.quick else (20000, 10000, 41)
    with throwaway_pg() as pg_url:
        if pg_url:
            bench_backend("pg", pg_url, processes=4, jobs=jobs_pg, samples=samples, batch_size=100)
    with tempfile.TemporaryDirectory() as tmp:
        bench_backend("sqlite", f"sqlite:///{tmp}/bench.db", processes=1, jobs=jobs_sqlite, samples=samples,
                      batch_size=200)


if __name__ == "__main__":
    main()
