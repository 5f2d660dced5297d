"""Who delivers a job: sinks and handlers, found by the job's sink name and kind.

A job names its ``sink`` (``odoo``, ``ledger``, ...) and its ``kind`` (``invoice.post``);
the registry routes it to the handler registered for that pair, or to the sink's
catch-all. The handler gets the job's identity and payload only: the payload names an
entity, and reading its current state is the handler's business, so a job replayed
after a fix sends the fixed data.

Most sinks reach another system, so the worker calls them outside any transaction and
relies on the sink's idempotency by ``job.key`` (principle 2). A sink that writes into
revbridge's own database can instead be registered ``in_transaction``: it then gets a
``Scope`` and its writes commit together with the job's ``done``, exactly once.

``NoopSink`` and ``RecordingSink`` implement the same protocol for benchmarks and tests.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from revbridge.outbox.failures import PermanentError, RetryableError
from revbridge.scope import Scope

ANY_KIND = "*"


@dataclass(frozen=True)
class Job:
    """One delivery attempt of an outbox job, as a handler sees it."""

    id: int
    workspace_id: str
    kind: str
    key: str
    aggregate: str
    sink: str
    payload: dict[str, Any]
    attempt: int
    correlation_id: str | None
    created_at: datetime


Handler = Callable[[Job], None]
ScopedHandler = Callable[[Scope, Job], None]


@runtime_checkable
class Sink(Protocol):
    """An external system jobs are delivered to; ``deliver`` must be idempotent by ``job.key``."""

    name: str

    def deliver(self, job: Job) -> None: ...


@dataclass(frozen=True)
class Route:
    """The handler for one (sink, kind); ``scoped`` ones run inside the completing transaction."""

    sink: str
    kind: str
    handler: Handler | None = None
    scoped: ScopedHandler | None = None

    @property
    def in_transaction(self) -> bool:
        return self.scoped is not None


class Registry:
    """Handlers by (sink, kind); a worker claims only jobs of the sinks registered here."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], Route] = {}

    def add_sink(self, sink: Sink, kinds: Iterable[str] = (ANY_KIND,)) -> Registry:
        """Route ``kinds`` (default: every kind) of jobs for ``sink.name`` to ``sink.deliver``."""
        for kind in kinds:
            self.on(sink.name, kind, sink.deliver)
        return self

    def on(self, sink: str, kind: str, handler: Handler) -> Registry:
        self._routes[(sink, kind)] = Route(sink, kind, handler=handler)
        return self

    def on_in_transaction(self, sink: str, kind: str, handler: ScopedHandler) -> Registry:
        """Route to a handler that writes revbridge's own tables in the job's ``done`` transaction."""
        self._routes[(sink, kind)] = Route(sink, kind, scoped=handler)
        return self

    @property
    def sinks(self) -> tuple[str, ...]:
        return tuple(sorted({sink for sink, _ in self._routes}))

    def route(self, sink: str, kind: str) -> Route:
        """The route for a job; a kind nobody handles is a permanent failure a person must see."""
        found = self._routes.get((sink, kind)) or self._routes.get((sink, ANY_KIND))
        if found is None:
            raise PermanentError(f"no handler for kind {kind!r} on sink {sink!r}")
        return found


class NoopSink:
    """Accepts every job and does nothing: for benchmarks, and queues that only need draining."""

    def __init__(self, name: str = "noop") -> None:
        self.name = name

    def deliver(self, job: Job) -> None:
        return None


@dataclass
class RecordingSink:
    """An in-memory sink that counts effects by idempotency key, for tests.

    ``fail_first`` makes the first k calls for each key raise ``error(job)`` (a retryable
    error by default); ``delay`` makes each call take that many seconds. ``effects``
    counts successful deliveries per key, ``calls`` every call, and ``log`` keeps the
    order in which effects landed, as ``(aggregate, key)``.
    """

    name: str = "recording"
    fail_first: int = 0
    delay: float = 0.0
    error: Callable[[Job], Exception] = field(default=lambda job: RetryableError(f"{job.key} is not reachable yet"))
    effects: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    log: list[tuple[str, str]] = field(default_factory=list)
    attempts_seen: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def deliver(self, job: Job) -> None:
        with self._lock:
            self.calls[job.key] += 1
            self.attempts_seen.append(job.attempt)
            failing = self.calls[job.key] <= self.fail_first
        if self.delay:
            time.sleep(self.delay)
        if failing:
            raise self.error(job)
        with self._lock:
            self.effects[job.key] += 1
            self.log.append((job.aggregate, job.key))


def permanent(reason: str) -> Callable[[Job], Exception]:
    """An ``error`` for ``RecordingSink`` that kills the job at once."""
    return lambda job: PermanentError(reason)
