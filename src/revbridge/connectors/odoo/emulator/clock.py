"""A clock the tests can move: the emulator's notion of "now" (UTC, naive like Odoo).

Why not ``datetime.now`` everywhere: write_date watermarks, invoice due dates and outage
windows depend on time; tests advance or freeze the clock instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading


class Clock:
    """Real UTC time plus an offset, or a frozen instant."""

    def __init__(self, frozen_at: dt.datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = dt.timedelta()
        self._frozen = _naive_utc(frozen_at) if frozen_at else None

    def now(self) -> dt.datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return dt.datetime.now(dt.UTC).replace(tzinfo=None) + self._offset

    def advance(self, seconds: float) -> None:
        """Move time forward (frozen or not)."""
        with self._lock:
            step = dt.timedelta(seconds=seconds)
            if self._frozen is not None:
                self._frozen += step
            else:
                self._offset += step

    def freeze(self, at: dt.datetime | None = None) -> None:
        """Stop time at ``at`` (default: now)."""
        instant = _naive_utc(at) if at else self.now()
        with self._lock:
            self._frozen = instant

    def unfreeze(self) -> None:
        """Resume from the frozen instant, keeping it as the new offset."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - dt.datetime.now(dt.UTC).replace(tzinfo=None)
                self._frozen = None


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None)
