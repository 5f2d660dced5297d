"""How hard revbridge may push one Odoo: a token bucket and a concurrency cap.

Why both: Odoo.sh and most self-hosted Odoo run a handful of workers; a burst of
invoices from a billing run must not take every worker (the concurrency cap), and a
steady stream must stay under the rate the operator agreed to (the bucket). Both are
per Odoo (url + database) and shared by every connector in the process through
:func:`shared_limits`, so four worker threads do not get four budgets.

Time is injectable (``clock``, ``sleep``) so tests need not wait.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from revbridge.connectors.odoo.breaker import BreakerPolicy, CircuitBreaker
from revbridge.connectors.odoo.errors import OdooUnavailable

__all__ = ["Limits", "LimitsPolicy", "TokenBucket", "shared_limits"]

Clock = Callable[[], float]


class TokenBucket:
    """``rate`` tokens a second, up to ``burst`` saved; :meth:`take` waits for one."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate, self.burst = rate, burst
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Take a token now or book the next one; the wait in seconds."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def take(self, max_wait: float | None = None) -> None:
        wait = self._reserve()
        if max_wait is not None and wait > max_wait:
            with self._lock:
                self._tokens += 1  # give the booking back
            raise OdooUnavailable(
                f"Odoo rate limit: next call in {wait:.1f}s", retry_after=wait
            )
        if wait > 0:
            self._sleep(wait)


@dataclass(frozen=True)
class LimitsPolicy:
    """Budgets for one Odoo. ``acquire_timeout``: how long a call may queue for a slot
    or a token before it gives up with a retryable error."""

    rate_per_second: float = 20.0
    burst: int = 20
    max_concurrency: int = 4
    acquire_timeout: float = 30.0
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)


class Limits:
    """The bucket, the concurrency slots and the circuit breaker of one Odoo."""

    def __init__(
        self,
        policy: LimitsPolicy | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or LimitsPolicy()
        self.bucket = TokenBucket(
            self.policy.rate_per_second, self.policy.burst, clock=clock, sleep=sleep
        )
        self.slots = threading.BoundedSemaphore(self.policy.max_concurrency)
        self.breaker = CircuitBreaker(self.policy.breaker, clock=clock)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """One call's admission: breaker first (fail fast), then a slot, then a token."""
        self.breaker.before_call()
        if not self.slots.acquire(timeout=self.policy.acquire_timeout):
            raise OdooUnavailable(
                f"Odoo busy: no free slot of {self.policy.max_concurrency} within "
                f"{self.policy.acquire_timeout:.0f}s",
                retry_after=self.policy.acquire_timeout,
            )
        try:
            self.bucket.take(max_wait=self.policy.acquire_timeout)
            yield
        finally:
            self.slots.release()


_SHARED: dict[tuple[str, str], Limits] = {}
_SHARED_LOCK = threading.Lock()


def shared_limits(url: str, db: str, policy: LimitsPolicy | None = None) -> Limits:
    """The process-wide limits of the Odoo at ``url``/``db`` (created on first use)."""
    key = (url.rstrip("/"), db)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = Limits(policy)
        return _SHARED[key]
