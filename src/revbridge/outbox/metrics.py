"""Outbox metrics for Prometheus: the queue read from the database at scrape time, plus
the handler timings of the workers running in this process.

Queue figures come from a custom collector that runs one grouped query per scrape, so
every API process reports the same truth whatever worker processes exist, and nothing
has to be kept in step. Done jobs are the history, not the queue, and are left out of
the counts (they would make each scrape slower as they pile up); throughput shows in
``revbridge_outbox_handled_total`` of the processes that run workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from revbridge.outbox.claim import DONE
from revbridge.outbox.tables import outbox_jobs
from revbridge.scope import utcnow

WORKER_REGISTRY = CollectorRegistry(auto_describe=True)

HANDLER_SECONDS = Histogram(
    "revbridge_outbox_handler_seconds",
    "Time a handler took to deliver one job, by kind, sink and outcome.",
    ["kind", "sink", "outcome"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=WORKER_REGISTRY,
)
HANDLED = Counter(
    "revbridge_outbox_handled",
    "Jobs handled by workers in this process, by kind and outcome (done, retry, dead).",
    ["kind", "outcome"],
    registry=WORKER_REGISTRY,
)


class QueueCollector(Collector):
    """Queue depth, oldest pending age, attempts and dead jobs, read at scrape time."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        jobs = outbox_jobs.c
        query = (
            select(jobs.kind, jobs.state, func.count(), func.sum(jobs.attempts), func.min(jobs.created_at))
            .where(jobs.state != DONE)
            .group_by(jobs.kind, jobs.state)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        now = self._clock()
        depth = GaugeMetricFamily(
            "revbridge_outbox_jobs", "Jobs not yet done, by kind and state (pending, running, dead).", labels=["kind", "state"]
        )
        attempts = GaugeMetricFamily(
            "revbridge_outbox_job_attempts", "Attempts spent so far on jobs not yet done, by kind and state.",
            labels=["kind", "state"],
        )
        oldest = GaugeMetricFamily(
            "revbridge_outbox_oldest_pending_age_seconds", "Age of the oldest pending job, by kind.", labels=["kind"]
        )
        dead = GaugeMetricFamily("revbridge_outbox_dead_jobs", "Dead jobs waiting for a person, by kind.", labels=["kind"])
        for kind, state, count, spent, first in rows:
            depth.add_metric([kind, state], count)
            attempts.add_metric([kind, state], int(spent or 0))
            if state == "pending" and first is not None:
                oldest.add_metric([kind], max(0.0, (now - first).total_seconds()))
            if state == "dead":
                dead.add_metric([kind], count)
        yield from (depth, attempts, oldest, dead)


class _WorkerMetrics(Collector):
    """The in-process worker timings, re-exported into another registry."""

    def collect(self) -> Iterator[Metric]:
        yield from WORKER_REGISTRY.collect()


def registry_for(engine: Engine, clock: Callable[[], datetime] = utcnow) -> CollectorRegistry:
    """A registry with the queue read from ``engine`` and this process's worker timings."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(engine, clock))
    registry.register(_WorkerMetrics())
    return registry
