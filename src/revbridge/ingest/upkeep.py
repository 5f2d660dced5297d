"""Background upkeep of stored usage under ``revbridge serve``: keys, rollups and the log.

One daemon thread:

* every ``interval`` seconds (1), on SQLite, merges the keys of the newest events into
  the dedup table once enough of them wait (``keys.merge_when_due``);

* every ``rollup_interval`` seconds (30), brings every workspace's rollups up to date
  (``rollups.roll_up_all``) in small transactions, so a query's raw tail stays under a
  minute of events. Not every second: building takes the GIL and, on SQLite, the write
  lock, which ingest is waiting for; a billing run brings them up to date itself anyway;
* every ``interval`` seconds (1), on SQLite, copies the write-ahead log into the database with a passive checkpoint.
  A batch of live events dirties pages all over the time index (and a merge, the keys
  table); copying those into the database (and syncing it) costs more than the commit
  itself. Done once a second, off the request path, each page is copied once however many
  commits wrote it, and a commit never waits for it; SQLite's own checkpoint mark
  (``store.engine``) is only the safety net for processes without this thread.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from sqlalchemy import Engine

from revbridge.ingest.keys import merge_when_due
from revbridge.ingest.rollups import roll_up_all
from revbridge.scope import utcnow
from revbridge.workspaces import list_workspaces

log = logging.getLogger(__name__)
UPKEEP_CHUNK = 5_000


def checkpoint(engine: Engine) -> None:
    """A passive checkpoint of SQLite's log; nothing to do on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # no BEGIN: a checkpoint runs outside transactions
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
    finally:
        raw.close()


def roll_up_everything(engine: Engine, now: datetime | None = None, chunk: int = UPKEEP_CHUNK) -> int:
    """Bring every workspace's rollups up to date; returns the events read.

    Small transactions: while one holds SQLite's write lock, ingest waits, so a chunk
    is a few milliseconds of work and requests slip in between.
    """
    with engine.connect() as conn:
        ids = [workspace["id"] for workspace in list_workspaces(conn)]
    return sum(roll_up_all(engine, workspace_id, now or utcnow(), chunk) for workspace_id in ids)


class UsageUpkeep:
    """The daemon thread; ``stop`` lets the tick in hand finish."""

    def __init__(self, engine: Engine, interval: float = 1.0, rollup_interval: float = 30.0) -> None:
        self.engine = engine
        self.interval = interval
        self.rollup_interval = rollup_interval
        self._rolled_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="usage-upkeep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def tick(self, force: bool = False) -> None:
        merge_when_due(self.engine)
        if force or time.monotonic() - self._rolled_at >= self.rollup_interval:
            roll_up_everything(self.engine)
            self._rolled_at = time.monotonic()
        checkpoint(self.engine)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # upkeep must never kill the service; the next tick tries again
                log.exception("usage upkeep failed")
