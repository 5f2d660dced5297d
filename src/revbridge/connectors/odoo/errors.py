"""What went wrong in Odoo, sorted into what the outbox can act on.

    ConnectorError (revbridge.errors)
     +-- OdooError               base: ``retryable``, ``retry_after``, Odoo's own name/code
          +-- OdooAuthError      wrong/revoked key, unknown uid, HTTP 401/403: permanent, alert
          +-- OdooUserError      UserError/ValidationError/MissingError: permanent, message kept
          +-- OdooRequestError   Odoo refused the request itself (unknown field, bad
          |                      argument, fault 1 / JSON-2 500 with a Python error): permanent
          +-- OdooRefused        revbridge refused before calling Odoo (unbalanced entry,
          |                      amount Odoo cannot hold): permanent
          +-- OdooTransientError serialization failure, lock, timeout, connection, 5xx,
               |                 429: retryable
               +-- OdooUnavailable  the circuit is open: retryable, ``retry_after`` set

Why the split is by *what to do next* and not by wire: XML-RPC says "fault 2", JSON-RPC
says ``data.name``, JSON-2 says HTTP 422, and they all mean "a business rule refused
this; retrying will not help; show the message" (FACTS.md 8, 10, 16). The outbox only
needs ``retryable`` (and ``retry_after`` to wait for Odoo instead of burning attempts);
alerting needs ``alert``.

A 500 from Odoo with a Python error name (``builtins.ValueError``: an unknown field) is
a bug in the request and is *not* retried; a 5xx from the proxy in front of Odoo (no
Odoo error body) or a database serialization failure is.

XML-RPC answers with ``allow_none=False``: a method that returns None (``button_draft``,
``button_cancel``) commits and *then* faults with "cannot marshal None" (FACTS.md 9).
For the methods in ``RETURNS_NONE`` that fault is success, see :func:`none_is_success`.
"""

from __future__ import annotations

import re
from typing import Any

from revbridge.errors import ConnectorError

__all__ = [
    "RETURNS_NONE",
    "OdooAuthError",
    "OdooError",
    "OdooRefused",
    "OdooRequestError",
    "OdooTransientError",
    "OdooUnavailable",
    "OdooUserError",
    "classify",
    "none_is_success",
]

# Methods that return None on a real Odoo 17/19 server (16_errors_posted_moves, 07).
RETURNS_NONE = frozenset({"button_draft", "button_cancel"})

_TRANSIENT_TEXT = re.compile(
    r"could not serialize access|SerializationFailure|TransactionRollbackError|"
    r"deadlock detected|LockNotAvailable|could not obtain lock|lock timeout|"
    r"canceling statement due to|server closed the connection|"
    r"connection (?:refused|reset)|too many connections|PoolError",
    re.IGNORECASE,
)
_AUTH_NAMES = ("AccessDenied", "AccessError", "Unauthorized", "Forbidden", "SessionExpired")
_USER_NAMES = ("UserError", "ValidationError", "MissingError", "RedirectWarning", "CacheMiss")
_UNKNOWN_UID = re.compile(r"\(Record: res\.users\(")


class OdooError(ConnectorError):
    """Odoo failed or refused a call."""

    retryable_default = False
    alert = False

    def __init__(
        self,
        message: str | None = None,
        *,
        retryable: bool | None = None,
        retry_after: float | None = None,
        name: str | None = None,
        fault_code: int | None = None,
        http_status: int | None = None,
        model: str | None = None,
        method: str | None = None,
    ) -> None:
        super().__init__(
            message, retryable=self.retryable_default if retryable is None else retryable
        )
        self.retry_after = retry_after
        self.name = name
        self.fault_code = fault_code
        self.http_status = http_status
        self.model = model
        self.method = method

    def where(self) -> str:
        return f"{self.model}.{self.method}" if self.model and self.method else ""


class OdooAuthError(OdooError):
    """Odoo refused the credentials or the user's rights; fix the key, then replay."""

    alert = True


class OdooUserError(OdooError):
    """A business rule in Odoo refused the call; Odoo's message says which."""


class OdooRequestError(OdooError):
    """Odoo could not execute the request as sent (unknown field, bad argument)."""


class OdooRefused(OdooError):
    """revbridge refused to send this to Odoo."""


class OdooTransientError(OdooError):
    """Odoo or the network failed in a way that may pass; retry later."""

    retryable_default = True


class OdooUnavailable(OdooTransientError):
    """Odoo is considered down (circuit open); retry after ``retry_after`` seconds.

    ``waiting`` tells the outbox this is no attempt of the job's: it waits for Odoo.
    """

    waiting = True


def none_is_success(method: str, message: str) -> bool:
    """True when an XML-RPC fault only says a None result could not be marshalled,
    for a method known to return None: the change is committed (FACTS.md 9)."""
    return method in RETURNS_NONE and "cannot marshal None" in message


def classify(
    *,
    message: str,
    name: str | None = None,
    fault_code: int | None = None,
    http_status: int | None = None,
    retry_after: float | None = None,
    odoo_body: bool = True,
    model: str | None = None,
    method: str | None = None,
) -> OdooError:
    """The exception for one failed call, from whatever the wire told us.

    ``name`` is Odoo's exception name (JSON-RPC ``data.name``, JSON-2 ``name``, or the
    last traceback line of an XML-RPC fault 1); ``odoo_body`` is False when the answer
    did not come from Odoo itself (an HTML 502 from the proxy).
    """
    text = _last_line(message) if fault_code == 1 else message
    short = (name or "").rsplit(".", 1)[-1]
    extra: dict[str, Any] = {
        "name": name,
        "fault_code": fault_code,
        "http_status": http_status,
        "retry_after": retry_after,
        "model": model,
        "method": method,
    }
    if _TRANSIENT_TEXT.search(message) or _TRANSIENT_TEXT.search(name or ""):
        return OdooTransientError(f"Odoo is busy: {text}", **extra)
    if (
        short in _AUTH_NAMES
        or fault_code in (3, 4)
        or http_status in (401, 403)
        or _UNKNOWN_UID.search(message)
    ):
        return OdooAuthError(f"Odoo refused the credentials or rights: {text}", **extra)
    if http_status == 429 or (http_status is not None and http_status >= 500 and not odoo_body):
        return OdooTransientError(f"Odoo unavailable (HTTP {http_status}): {text}", **extra)
    if short == "OperationalError" and "does not exist" not in message:
        return OdooTransientError(f"Odoo database error: {text}", **extra)
    if short in _USER_NAMES or fault_code == 2 or http_status in (404, 422):
        return OdooUserError(text, **extra)
    return OdooRequestError(f"Odoo could not execute the call: {text}", **extra)


def _last_line(message: str) -> str:
    """A fault 1 carries a full traceback; its last line names the exception."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else message


def exception_name(message: str) -> str | None:
    """``psycopg2.errors.SerializationFailure`` from a traceback's last line."""
    match = re.match(r"([A-Za-z_][\w.]*(?:Error|Exception|Denied|Failure|Warning|Fault))\b",
                     _last_line(message))
    return match.group(1) if match else None
