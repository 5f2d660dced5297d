"""A worker process for the crash tests: ``python -m tests.outbox.crash_worker URL TABLE``.

Its sink is an external effect in the plain sense: it writes to ``TABLE`` on its own
autocommit connection, apart from the worker's transactions, so a kill -9 between the
effect and the job's ``done`` really leaves the effect behind. The write is idempotent
by key (one row per key, ``deliveries`` counts redeliveries), and ``seq`` records the
order in which keys first landed.
"""

from __future__ import annotations

import random
import sys
import threading
import time

import psycopg

from revbridge.outbox import Job, Registry, RetryPolicy, Worker, WorkerOptions
from revbridge.store.engine import open_engine


class EffectSink:
    name = "effects"

    def __init__(self, url: str, table: str, max_delay: float) -> None:
        self._url = url
        self._table = table
        self._max_delay = max_delay
        self._local = threading.local()

    def deliver(self, job: Job) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = psycopg.connect(self._url, autocommit=True)
        time.sleep(random.uniform(0, self._max_delay))
        conn.execute(
            f"INSERT INTO {self._table} (key, aggregate, job_id) VALUES (%s, %s, %s) "
            f"ON CONFLICT (key) DO UPDATE SET deliveries = {self._table}.deliveries + 1",
            (job.key, job.aggregate, job.id),
        )


def main(argv: list[str]) -> None:
    url, table = argv[0], argv[1]
    max_delay = float(argv[2]) if len(argv) > 2 else 0.02
    registry = Registry().add_sink(EffectSink(url, table, max_delay))
    options = WorkerOptions(concurrency=2, batch_size=5, lease_seconds=1.0, poll_max=0.05)
    Worker(open_engine(url), registry, options=options, policy=RetryPolicy(base=0.05, cap=0.2, max_attempts=50)).run()


if __name__ == "__main__":
    main(sys.argv[1:])
