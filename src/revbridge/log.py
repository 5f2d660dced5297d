"""Logging: stdlib loggers, rendered by structlog as console lines or JSON.

Ingest, billing and outbox lines carry ``correlation_id``, ``workspace`` and the entity
id through ``contextvars``, so a failure long after a request still names it.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

_context: ContextVar[dict[str, Any]] = ContextVar("revbridge_log_context", default={})  # noqa: B039 - never mutated, only replaced


def new_correlation_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Attach ``fields`` (correlation_id, workspace, ...) to every log line inside."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    return dict(_context.get())


def _add_context(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in _context.get().items():
        event.setdefault(key, value)
    return event


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Route stdlib logging through structlog's formatter, once per process."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=renderer,
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.stdlib.ExtraAdder(),
                _add_context,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
