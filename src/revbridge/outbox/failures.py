"""What a handler's exception means for its job: try again later, or stop and tell a person.

    JobError                  raised by handlers that know what went wrong
     +-- RetryableError       network, timeout, lock, 5xx: try again after a backoff
     |    +-- RateLimited     the far side said when (Retry-After); wait at least that
     |    +-- Unavailable     the far side is down (circuit open): wait, not an attempt
     +-- PermanentError       validation, access: retrying cannot help, dead at once

Handlers may also raise anything else. ``classify`` maps the exceptions revbridge and its
libraries raise (``ConnectorError(retryable=...)``, httpx status and transport errors,
our validation and access errors); an exception it does not recognise counts as
retryable, because a transient fault misread as permanent would park a job that the
next attempt would have delivered, while the reverse only costs a few attempts before
the job dies anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from revbridge.errors import (
    AuthError,
    ConnectorError,
    NotFoundError,
    PricingError,
    RevbridgeError,
    ValidationError,
)

MAX_REASON = 2000


class JobError(RevbridgeError):
    """The job could not be delivered."""

    retryable = True

    def __init__(self, message: str | None = None, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetryableError(JobError):
    """A transient failure; the job is tried again after a backoff."""


class RateLimited(RetryableError):
    """The far side asked us to slow down; the job waits at least ``retry_after`` seconds."""

    def __init__(self, message: str | None = None, *, retry_after: float) -> None:
        super().__init__(message, retry_after=retry_after)


class Unavailable(RetryableError):
    """The far side is known to be down (a circuit is open): wait ``retry_after`` without
    using up an attempt, so a long outage drains by itself instead of killing jobs."""

    waiting = True


class PermanentError(JobError):
    """Retrying cannot help; the job goes to the dead letters with this reason."""

    retryable = False


@dataclass(frozen=True)
class Failure:
    """A handler's exception, classified."""

    retryable: bool
    reason: str
    retry_after: float | None = None
    waiting: bool = False  # the far side is down and said when to come back: not an attempt


_PERMANENT = (ValidationError, AuthError, NotFoundError, PricingError, PermissionError)
_TRANSIENT = (TimeoutError, ConnectionError)


def classify(exc: BaseException) -> Failure:
    """Decide whether ``exc`` is worth another attempt, and when at the earliest."""
    reason = describe(exc)
    retry_after = _seconds(getattr(exc, "retry_after", None))
    waiting = bool(getattr(exc, "waiting", False)) and retry_after is not None
    if isinstance(exc, JobError):
        return Failure(exc.retryable, reason, retry_after, waiting)
    if isinstance(exc, ConnectorError):
        return Failure(exc.retryable, reason, retry_after, waiting)
    http = _http_failure(exc, reason)
    if http is not None:
        return http
    if isinstance(exc, _PERMANENT):
        return Failure(False, reason)
    if isinstance(exc, _TRANSIENT):
        return Failure(True, reason, retry_after)
    return Failure(True, reason, retry_after)


def describe(exc: BaseException) -> str:
    """``Type: message``, cut to a size a person can read in a listing."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


def _http_failure(exc: BaseException, reason: str) -> Failure | None:
    """httpx errors, without importing httpx where no connector uses it."""
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is a dependency
        return None
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status == 429 or status == 408 or status >= 500:
            return Failure(True, reason, parse_retry_after(exc.response.headers.get("retry-after")))
        return Failure(False, reason)
    if isinstance(exc, httpx.TransportError):
        return Failure(True, reason)
    return None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None
