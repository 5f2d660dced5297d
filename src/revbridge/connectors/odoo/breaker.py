"""A circuit breaker per Odoo: stop calling a server that is down, probe it now and then.

Why: during an Odoo outage every outbox job would otherwise spend its attempts on
connection errors and land in the dead letter, while hammering a server that is trying
to come back. With the breaker, ``failure_threshold`` consecutive transient failures
open the circuit; while open, calls fail at once with a retryable
:class:`~revbridge.connectors.odoo.errors.OdooUnavailable` carrying ``retry_after``, so
the outbox reschedules the job for when the circuit may close, without counting it as
an attempt. After ``open_seconds`` one call goes through (half-open): success closes the
circuit, failure opens it again for twice as long (up to ``max_open_seconds``).

Only transient failures count. A business refusal (fault 2) proves Odoo is up.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from revbridge.connectors.odoo.errors import OdooUnavailable

__all__ = ["BreakerPolicy", "BreakerState", "CircuitBreaker"]


class BreakerState(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 5
    open_seconds: float = 30.0
    max_open_seconds: float = 600.0


class CircuitBreaker:
    def __init__(
        self, policy: BreakerPolicy | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy or BreakerPolicy()
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._open_for = self.policy.open_seconds
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            if self._state is BreakerState.OPEN and self._remaining() <= 0:
                return BreakerState.HALF_OPEN
            return self._state

    def _remaining(self) -> float:
        return self._opened_at + self._open_for - self._clock()

    def before_call(self) -> None:
        """Admit the call, or raise ``OdooUnavailable`` with the time left."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return
            remaining = self._remaining()
            if self._state is BreakerState.OPEN and remaining > 0:
                raise OdooUnavailable(
                    f"Odoo circuit open after {self._failures} failures; "
                    f"next probe in {remaining:.0f}s",
                    retry_after=remaining,
                )
            if self._probing:
                raise OdooUnavailable(
                    "Odoo circuit half-open: a probe call is in flight",
                    retry_after=min(self.policy.open_seconds, 5.0),
                )
            self._state = BreakerState.HALF_OPEN
            self._probing = True

    def record_success(self) -> None:
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._open_for = self.policy.open_seconds
            self._probing = False

    def record_failure(self) -> float | None:
        """Count a transient failure; returns the seconds the circuit now stays open when
        this failure opened it (or a failed probe reopened it), else ``None``."""
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN:
                self._open_for = min(self._open_for * 2, self.policy.max_open_seconds)
                self._open()
                return self._open_for
            if self._failures >= self.policy.failure_threshold:
                self._open()
                return self._open_for
            return None

    def record_neutral(self) -> None:
        """A call that ended without telling whether Odoo is up (admission refused)."""
        with self._lock:
            self._probing = False

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._probing = False
