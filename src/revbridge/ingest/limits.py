"""How much one ingest request may carry, and the refusals of a body as a whole.

A body that breaks a limit is refused before any event in it is looked at, so a client
gets one clear answer (413 for size, 422 for a body that is not safe JSON) instead of a
thousand per-event errors, and the server never spends more than the limits allow on
one request. Per-event problems are not exceptions: they become rejections (see
``envelope``), because the rest of a batch is still good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from revbridge.errors import Problem, ValidationError, ValidationErrors


@dataclass(frozen=True)
class IngestLimits:
    """Every bound ingest applies; the defaults suit the public HTTP endpoint.

    ``max_depth`` counts containers from the event object down: an event is depth 1,
    its ``data`` object depth 2. A batch array adds one level that is not counted, so a
    single event and a batch of events are allowed the same nesting.
    """

    max_body_bytes: int = 4 * 1024 * 1024
    max_batch_events: int = 10_000
    max_string_length: int = 256  # id, source, type, subject, and unique-count keys
    max_depth: int = 32
    max_data_properties: int = 128  # top-level properties of ``data``
    max_future: timedelta = timedelta(minutes=5)  # clock skew tolerated ahead of now
    max_lateness: timedelta = timedelta(days=35)  # a closed month plus a grace period

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_batch_events", "max_string_length", "max_depth"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_depth > 256:
            # Depth is checked by bounded recursion; keep it far below the interpreter's limit.
            raise ValueError(f"max_depth must be at most 256, got {self.max_depth}")
        if self.max_data_properties < 0:
            raise ValueError(f"max_data_properties must not be negative, got {self.max_data_properties}")
        if self.max_future < timedelta(0) or self.max_lateness < timedelta(0):
            raise ValueError("max_future and max_lateness must not be negative")


DEFAULT_LIMITS = IngestLimits()


class BodyTooLarge(ValidationError):
    """The request body is larger than the ingest limit."""

    status = 413

    def __init__(self, size: int, limit: int) -> None:
        super().__init__("body", f"larger than {limit} bytes", size)


class BatchTooLarge(ValidationError):
    """The batch holds more events than the ingest limit."""

    status = 413

    def __init__(self, count: int, limit: int) -> None:
        super().__init__("events", f"more than {limit} events in one batch", count)


class UnsupportedMediaType(ValidationError):
    """The body is neither one CloudEvent nor a CloudEvents batch in JSON."""

    status = 415

    def __init__(self, content_type: str) -> None:
        super().__init__(
            "content-type",
            "expected application/cloudevents+json or application/cloudevents-batch+json",
            content_type,
        )


class MalformedBody(ValidationErrors):
    """The body is not JSON that ingest can safely read; nothing in it was accepted.

    ``problems`` name the reason (invalid UTF-8, malformed JSON, nesting too deep,
    duplicate keys) and, where one event is to blame, its place in the batch.
    """

    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
