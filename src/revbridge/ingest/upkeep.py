"""Background upkeep of stored usage under ``revbridge serve``: keys, rollups and the log.

``serve`` runs it in a process of its own (``UpkeepProcess``): building rollups decodes
every event in Python, and in the serving process it would hold the GIL requests need
(measured: ingest fell to a third of its rate while a backlog was rolled up).
``UsageUpkeep`` runs it as two threads of the caller's process, for a library user or
a test. Its steps:

* every ``interval`` seconds (1), on SQLite, merges the keys and times of the newest
  events into their tables once enough of them wait (``keys.merge_when_due``);
* every ``rollup_interval`` seconds (30), brings every workspace's rollups up to date
  (``rollups.roll_up_all``): each chunk is folded in a read-only transaction and merged
  in a short write, so ingest waits for the merge only. Not every second: a billing
  run brings them up to date itself anyway, and each pass costs a write per rollup row;
* every ``interval`` seconds (1), on SQLite, copies the write-ahead log into the
  database with a passive checkpoint (and ``serve`` empties the log as it stops). A
  merge dirties pages all over the keys table; copying those into the database (and
  syncing it) costs more than the commit itself. Done once a second, off the request
  path, each page is copied once however many commits wrote it, and a commit never
  waits for it; SQLite's own checkpoint mark (``store.engine``) is only the safety net
  for processes without this loop.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from revbridge.ingest.keys import merge_when_due
from revbridge.ingest.rollups import ROLLUP_CHUNK, roll_up_all
from revbridge.scope import utcnow
from revbridge.store.engine import BUSY_TIMEOUT_MS
from revbridge.workspaces import list_workspaces

log = logging.getLogger(__name__)
UPKEEP_CHUNK = ROLLUP_CHUNK
_STOP_WAIT_S = 30.0
_GRACE_S = 3.0


def checkpoint(engine: Engine, truncate: bool = False) -> None:
    """A passive checkpoint of SQLite's log; nothing to do on PostgreSQL.

    ``truncate``: then also empty the log file, if no other connection is reading or
    writing (it never waits for one), as a server that stops does: under steady ingest
    the upkeep's checkpoints trail the newest commits (a rollup pass holds its
    snapshot), and the log file only grows while readers keep it from restarting.
    After a 60 s run of the ingest bench, 2.1 GB of log was left, and the first commits
    of the next process spent a second copying it.
    """
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # no BEGIN: a checkpoint runs outside transactions
    driver = raw.driver_connection
    try:
        driver.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        if truncate:
            driver.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]  # busy: left as it is
            try:
                driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
            finally:
                driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # type: ignore[union-attr]
    finally:
        raw.close()


def roll_up_everything(
    engine: Engine, now: datetime | None = None, chunk: int = UPKEEP_CHUNK, stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Bring every workspace's rollups up to date, chunk by chunk until ``stopping()``;
    returns the events read."""
    with engine.connect() as conn:
        ids = [workspace["id"] for workspace in list_workspaces(conn)]
    return sum(roll_up_all(engine, workspace_id, now or utcnow(), chunk, stopping) for workspace_id in ids
               if not stopping())


class UsageUpkeep:
    """The upkeep as two daemon threads: keys and log every second, rollups every 30 s.

    Two loops, so a long rollup pass (a backlog of a million events takes seconds)
    never holds up the checkpoints: without them the log would grow until a commit
    copied it in line (``store.engine``'s safety net), seconds of waiting for a request.
    ``stop`` lets the step in hand finish.
    """

    def __init__(self, engine: Engine, interval: float = 1.0, rollup_interval: float = 30.0) -> None:
        self.engine = engine
        self.interval = interval
        self.rollup_interval = rollup_interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._loop, args=(every, step), name=name, daemon=True)
            for name, every, step in (("usage-upkeep", self.interval, self.tend),
                                      ("usage-rollups", self.rollup_interval, self.roll_up))
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=_STOP_WAIT_S)

    def tick(self) -> None:
        """Every step once, in order (tests, and a caller without threads)."""
        self.tend()
        self.roll_up()
        checkpoint(self.engine)

    def tend(self) -> None:
        merge_when_due(self.engine)
        checkpoint(self.engine)

    def roll_up(self) -> None:
        roll_up_everything(self.engine, stopping=self._stop.is_set)  # a backlog takes seconds: stop between chunks

    def _loop(self, every: float, step: Callable[[], None]) -> None:
        while not self._stop.wait(every):
            try:
                step()
            except Exception:  # upkeep must never stop for good; the next round tries again
                log.exception("usage upkeep failed")


class UpkeepProcess:
    """The upkeep loop in a child process of its own, for ``serve``.

    The child opens its own engine on ``database_url`` and runs ``UsageUpkeep`` until
    ``stop`` (or until its parent is gone, so a killed server leaves no orphan).
    """

    def __init__(self, database_url: str, interval: float = 1.0, rollup_interval: float = 30.0,
                 log_level: str = "INFO", log_format: str = "console") -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process holding connections and threads
        # A flag without a lock: an Event's set() waits for every process sleeping on it
        # to wake, and one killed while asleep (a service manager signals the whole
        # group) never does, so stopping would hang.
        self._stop = context.RawValue("b", 0)
        self._process = context.Process(
            target=_run_upkeep, name="revbridge-upkeep", daemon=True,
            args=(database_url, interval, rollup_interval, self._stop, os.getpid(), log_level, log_format),
        )

    def start(self) -> None:
        self._process.start()

    def alive(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        """Ask the child to stop; after a short grace, end it: each of its steps is one
        transaction, so ending it mid-step loses nothing."""
        self._stop.value = 1
        self._process.join(timeout=_GRACE_S)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()


def _run_upkeep(database_url: str, interval: float, rollup_interval: float, stop: Any, parent: int,
                log_level: str, log_format: str) -> None:
    from revbridge.log import configure_logging
    from revbridge.store.engine import open_engine

    configure_logging(log_level, log_format)
    engine = open_engine(database_url)
    upkeep = UsageUpkeep(engine, interval, rollup_interval)
    upkeep.start()
    try:
        while not stop.value and os.getppid() == parent:
            time.sleep(interval)
    finally:
        upkeep.stop()
        engine.dispose()
