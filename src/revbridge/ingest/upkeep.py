"""Background upkeep of stored usage under ``revbridge serve``: rollups and the log.

Every ``interval`` seconds, one daemon thread:

* brings every workspace's rollups up to date (``rollups.roll_up_all``), so a query's
  raw tail stays a second or so of events however fast usage arrives;
* on SQLite, copies the write-ahead log into the database with a passive checkpoint.
  A batch of events with random ids dirties about a page per event in the dedup index;
  copying those into the database (and syncing it) costs more than the commit itself.
  Done once a second, off the request path, each page is copied once however many
  commits wrote it, and a commit never waits for it; SQLite's own checkpoint mark
  (``store.engine``) is only the safety net for processes without this thread.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import Engine, select

from revbridge.ingest.rollups import roll_up_all
from revbridge.scope import utcnow
from revbridge.store.tables import workspaces

log = logging.getLogger(__name__)


def checkpoint(engine: Engine) -> None:
    """A passive checkpoint of SQLite's log; nothing to do on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # no BEGIN: a checkpoint runs outside transactions
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
    finally:
        raw.close()


def roll_up_everything(engine: Engine, now: datetime | None = None) -> int:
    """Bring every workspace's rollups up to date; returns the events read."""
    with engine.connect() as conn:
        ids = [r.id for r in conn.execute(select(workspaces.c.id).order_by(workspaces.c.id))]
    return sum(roll_up_all(engine, workspace_id, now or utcnow()) for workspace_id in ids)


class UsageUpkeep:
    """The daemon thread; ``stop`` lets the tick in hand finish."""

    def __init__(self, engine: Engine, interval: float = 1.0) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="usage-upkeep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def tick(self) -> None:
        roll_up_everything(self.engine)
        checkpoint(self.engine)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # upkeep must never kill the service; the next tick tries again
                log.exception("usage upkeep failed")
