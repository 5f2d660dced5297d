"""The exceptions revbridge raises, one tree for every area.

    RevbridgeError
     +-- ValidationError      bad input: names the field, the reason and the value
     |    +-- ConflictError   the input contradicts what is stored (409)
     +-- NotFoundError        an id that does not exist in this workspace (404)
     +-- AuthError            unknown, revoked or under-privileged credentials (401/403)
     +-- PricingError         a charge cannot be rated (no price, no tax rate, ...)
     +-- StoreError           the database refused or failed
     +-- ConnectorError       an external system failed; ``retryable`` says whether to retry

A user-facing message always says where (``field``), why (``reason``) and, where it
helps, what was given (``value``), e.g. ``plans[2].prices[0].tiers[1].up_to: tiers must
ascend, got 100 after 1000``. Batch validation collects many into ``ValidationErrors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class RevbridgeError(Exception):
    """revbridge failed."""

    status = 500

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, why, and what was given."""

    field: str
    reason: str
    value: Any = None
    source: str | None = None  # file:line when the input came from a file
    event_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        shown = "" if self.value is None else f" (got {_show(self.value)})"
        return f"{where}{self.field}: {self.reason}{shown}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.value is not None:
            out["value"] = _jsonable(self.value)
        if self.source:
            out["source"] = self.source
        if self.event_id:
            out["event_id"] = self.event_id
        return out


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, bool)) or value is None:
        return value if not isinstance(value, str) or len(value) <= 200 else value[:200] + "..."
    return _show(value)


class ValidationError(RevbridgeError):
    """The input is not valid."""

    status = 422

    def __init__(
        self, field: str, reason: str, value: Any = None, *, source: str | None = None
    ) -> None:
        self.problems = [Problem(field, reason, value, source)]
        super().__init__(str(self.problems[0]))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled whole, problems and all: a file import raises what its validating process found.
        return (_rebuilt, (type(self), self.problems))


def _rebuilt(cls: type[ValidationError], problems: list[Problem]) -> ValidationError:
    error = cls.__new__(cls)
    error.problems = list(problems)
    RevbridgeError.__init__(error, "; ".join(str(p) for p in error.problems))
    return error


class ValidationErrors(ValidationError):
    """Several problems found in one input; all are reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        assert problems, "ValidationErrors needs at least one problem"
        self.problems = list(problems)
        RevbridgeError.__init__(self, "; ".join(str(p) for p in self.problems))


class ConflictError(ValidationError):
    """The input contradicts what is already stored."""

    status = 409


class NotFoundError(RevbridgeError):
    """No such record in this workspace."""

    status = 404


class AuthError(RevbridgeError):
    """The credentials are missing, unknown or revoked."""

    status = 401


class ForbiddenError(AuthError):
    """The credentials do not allow this action."""

    status = 403


class PricingError(RevbridgeError):
    """A charge cannot be rated."""

    status = 422


class StoreError(RevbridgeError):
    """The database refused or failed."""

    status = 503


class ConnectorError(RevbridgeError):
    """An external system failed."""

    status = 502

    def __init__(self, message: str | None = None, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
