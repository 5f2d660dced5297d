"""The transactional outbox: every effect outside revbridge leaves through it.

Producers call ``enqueue`` in their own transaction; workers (``Worker``) deliver jobs
to the sinks in a ``Registry``, retrying by a ``RetryPolicy`` and dead-lettering what
cannot be delivered; people list, retry and replay jobs (``replay``).
"""

from revbridge.outbox.enqueue import JobState, enqueue
from revbridge.outbox.failures import Failure, JobError, PermanentError, RateLimited, RetryableError, classify
from revbridge.outbox.handlers import Job, NoopSink, RecordingSink, Registry, Sink
from revbridge.outbox.replay import (
    JobFilter,
    dead_job_exceptions,
    get_job,
    list_jobs,
    replay_jobs,
    retry_job,
)
from revbridge.outbox.retry import RetryPolicy
from revbridge.outbox.worker import Worker, WorkerOptions

__all__ = [
    "Failure",
    "Job",
    "JobError",
    "JobFilter",
    "JobState",
    "NoopSink",
    "PermanentError",
    "RateLimited",
    "RecordingSink",
    "Registry",
    "RetryPolicy",
    "RetryableError",
    "Sink",
    "Worker",
    "WorkerOptions",
    "classify",
    "dead_job_exceptions",
    "enqueue",
    "get_job",
    "list_jobs",
    "replay_jobs",
    "retry_job",
]
