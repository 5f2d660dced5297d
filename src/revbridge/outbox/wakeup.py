"""Wake idle workers when a job is enqueued, so an idle queue still starts jobs in milliseconds.

Workers poll with a short adaptive interval, which alone bounds the latency. Two signals
cut it further:

- in one process (the embedded shape: API and worker together), ``enqueue`` flags its
  connection and the commit of that connection sets every local waiter's event;
- on PostgreSQL, ``enqueue`` also sends ``NOTIFY revbridge_outbox``, which the server
  delivers only when the producer's transaction commits, and each worker process keeps
  one ``LISTEN`` connection that wakes its loops. NOTIFY is deduplicated per transaction,
  so a billing run enqueuing thousands of jobs sends one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event, text

CHANNEL = "revbridge_outbox"
_FLAG = "revbridge_outbox_enqueued"
_log = logging.getLogger(__name__)

_waiters: set[threading.Event] = set()
_waiters_lock = threading.Lock()


def subscribe(waiter: threading.Event) -> None:
    with _waiters_lock:
        _waiters.add(waiter)


def unsubscribe(waiter: threading.Event) -> None:
    with _waiters_lock:
        _waiters.discard(waiter)


def wake_local() -> None:
    with _waiters_lock:
        waiters = list(_waiters)
    for waiter in waiters:
        waiter.set()


def announce(conn: Connection) -> None:
    """Called by producers inside their transaction: wake workers once it commits."""
    if conn.info.get(_FLAG):
        return
    conn.info[_FLAG] = True
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


@event.listens_for(Engine, "commit")
def _on_commit(conn: Any) -> None:
    if conn.info.pop(_FLAG, False):
        wake_local()


@event.listens_for(Engine, "rollback")
def _on_rollback(conn: Any) -> None:
    conn.info.pop(_FLAG, None)


class Listener:
    """A thread holding ``LISTEN revbridge_outbox`` on PostgreSQL; calls ``wake`` on each notice."""

    def __init__(self, engine: Engine, wake: Callable[[], None], stop: threading.Event) -> None:
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._wake = wake
        self._stop = stop
        self._thread = threading.Thread(target=self._run, name="outbox-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._wake()
            except psycopg.Error as exc:  # the worker still polls; try again shortly
                _log.warning("outbox listener lost its connection", extra={"error": str(exc)})
                self._stop.wait(1.0)
