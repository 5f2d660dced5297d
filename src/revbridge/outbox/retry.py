"""When to try a failed job again, and when to stop: exponential backoff with full jitter.

Full jitter (a delay drawn uniformly from ``[0, min(cap, base * 2**(attempt-1))]``)
spreads the retries of many jobs that failed together (an Odoo outage) instead of
sending them back in waves. A Retry-After from the far side is a floor: the job never
comes back sooner than asked. The random source is injected so tests are exact.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from revbridge.errors import ValidationError
from revbridge.outbox.failures import Failure


@dataclass(frozen=True)
class Decision:
    """What to do with a failed job: kill it (with why), or run it again in ``delay`` seconds."""

    dead: bool
    delay: float
    reason: str
    uncount: bool = False  # waiting for a system that is down does not use up an attempt


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff and attempt limits; ``max_attempts_by_kind`` overrides the limit per job kind."""

    base: float = 1.0
    cap: float = 600.0
    max_attempts: int = 10
    max_attempts_by_kind: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.base > 0:
            raise ValidationError("backoff_base", "must be more than 0 seconds", self.base)
        if self.cap < self.base:
            raise ValidationError("backoff_cap", "must be at least the base", self.cap)
        for kind, limit in {"*": self.max_attempts, **self.max_attempts_by_kind}.items():
            if limit < 1:
                raise ValidationError(f"max_attempts[{kind}]", "must be at least 1", limit)

    def attempts_for(self, kind: str) -> int:
        return self.max_attempts_by_kind.get(kind, self.max_attempts)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter delay before the attempt after ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** min(max(attempt - 1, 0), 62))
        return rng.uniform(0.0, ceiling)

    def decide(self, kind: str, attempt: int, failure: Failure, rng: random.Random) -> Decision:
        """Dead for a permanent failure or a spent budget; otherwise the delay to wait."""
        if not failure.retryable:
            return Decision(True, 0.0, f"permanent: {failure.reason}")
        if failure.waiting and failure.retry_after is not None:
            return Decision(False, failure.retry_after, failure.reason, uncount=True)
        limit = self.attempts_for(kind)
        if attempt >= limit:
            return Decision(True, 0.0, f"gave up after {attempt} attempts: {failure.reason}")
        delay = self.backoff(attempt, rng)
        if failure.retry_after is not None:
            delay = max(delay, failure.retry_after)
        return Decision(False, delay, failure.reason)


def parse_kind_limits(items: list[str]) -> dict[str, int]:
    """``["odoo.invoice=5", ...]`` from the command line into ``{"odoo.invoice": 5}``."""
    limits: dict[str, int] = {}
    for item in items:
        kind, sep, number = item.partition("=")
        if not sep or not kind or not number.strip().isdigit():
            raise ValidationError("max_attempts_for", "expected KIND=N, e.g. odoo.invoice=5", item)
        limits[kind.strip()] = int(number)
    return limits
