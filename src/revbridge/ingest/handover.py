"""A file import's validation in a process of its own, beside the process that stores.

Python runs one thread at a time, so an import that validates in one thread while it
stores in another uses little more than one core. Here a child process reads and
validates the file, with its own read-only connection for the catalog and customers,
and hands each batch over already judged: the importing process only stores. A batch
crosses as one msgpack array of its rows' fields (``ingest.rows``: key hashes computed,
times as stored text) and its rejections, through a queue a few batches deep, so
memory stays at a few batches in each process and the reader never runs far ahead of
the store.

Worth it for a file large enough to repay starting a process (about a second) and for
a database both processes can open; ``IngestService.import_file`` decides.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue as queues
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import Engine

from revbridge.ingest.envelope import IngestResult, Rejection
from revbridge.ingest.limits import IngestLimits
from revbridge.ingest.readers import ColumnMapping
from revbridge.ingest.rows import EventRows

HANDOVER_FROM_BYTES = 8 * 1024 * 1024  # smaller files validate in a thread: less than starting a process costs
_AHEAD = 8  # batches validated ahead of the store: at the CLI's batch size, two of the groups it stores at once
_POLL_S = 0.5  # how often a waiting side looks whether the other is still there
_STOP_GRACE_S = 5.0

_ROWS = msgspec.msgpack.Decoder(list[Any])
_WIRE = msgspec.msgpack.Encoder()


@dataclass(frozen=True)
class FileJob:
    """What the validating process needs; crosses to it pickled."""

    database_url: str
    workspace_id: str
    path: str
    mapping: ColumnMapping | None
    batch_size: int
    limits: IngestLimits


class ValidatingProcessLost(RuntimeError):
    """The validating process ended without its batches, or failed with an error that does not pickle."""


class Validated(NamedTuple):
    """One batch, judged: what the store needs of it."""

    records: int
    origin: str  # the file, for the exceptions queue
    result: IngestResult
    now: datetime


class _Batch(NamedTuple):
    records: int
    origin: str
    now: datetime
    rows: bytes  # msgpack array: EventRows.flat
    rejected: list[Rejection]


class _Failed(NamedTuple):
    error: BaseException | None  # None when it would not cross as it is
    text: str


def database_url_of(engine: Engine) -> str | None:
    """The URL a second process opens the same database with; None for one only this process sees."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def validated_in_child(job: FileJob) -> Iterator[Validated]:
    """Each batch of ``job``'s file, validated by a child process, in file order.

    Stops the child when the caller stops early or fails; an error in the child (an
    unreadable file, a lost database) is raised here.
    """
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited connections or threads
    handed = context.Queue(_AHEAD)
    stop = context.RawValue("b", 0)  # no lock to be left held by a process that is killed
    child = context.Process(target=_validate, args=(job, handed, stop, os.getpid()),
                            name="revbridge-import-validate", daemon=True)
    child.start()
    try:
        while (item := _receive(handed, child)) is not None:
            if isinstance(item, _Failed):
                raise item.error or ValidatingProcessLost(f"validating {job.path} failed: {item.text}")
            rows = EventRows(_ROWS.decode(item.rows))
            yield Validated(item.records, item.origin, IngestResult(rows, item.rejected), item.now)
    finally:
        stop.value = 1
        child.join(_STOP_GRACE_S)
        if child.is_alive():
            child.terminate()
            child.join()
        handed.close()
        handed.cancel_join_thread()


def _receive(handed: Any, child: Any) -> _Batch | _Failed | None:
    while True:
        try:
            return handed.get(timeout=_POLL_S)  # type: ignore[no-any-return]
        except queues.Empty:
            if child.is_alive():
                continue
        try:  # it may have handed over its last words just before it ended
            return handed.get(timeout=_POLL_S)  # type: ignore[no-any-return]
        except queues.Empty:
            raise ValidatingProcessLost(
                f"the import's validating process ended unexpectedly (exit code {child.exitcode})") from None


def _validate(job: FileJob, handed: Any, stop: Any, parent: int) -> None:
    """The child: read, validate, hand over; ``None`` at the end of the file."""
    try:
        for batch in _judged(job):
            if not _hand(handed, stop, parent, batch):
                handed.cancel_join_thread()  # nobody reads what is still queued: exit without flushing it
                return
        _hand(handed, stop, parent, None)
    except BaseException as exc:  # noqa: BLE001 - every failure is the parent's to raise
        _hand(handed, stop, parent, _Failed(_portable(exc), "".join(traceback.format_exception(exc))))


def _judged(job: FileJob) -> Iterator[_Batch]:
    from revbridge.ingest.envelope import ingest_records
    from revbridge.ingest.readers import read_events
    from revbridge.ingest.service import IngestService
    from revbridge.scope import utcnow
    from revbridge.store.engine import open_engine

    engine = open_engine(job.database_url)
    service = IngestService(engine, job.limits)
    try:
        # Read-only and ended after each batch: a long read would hold SQLite's log from
        # being checkpointed, and customers created meanwhile would stay unseen.
        with engine.connect().execution_options(revbridge_read_only=True) as conn:
            lookup = service.customer_lookup(conn, job.workspace_id)
            for batch in read_events(Path(job.path), job.mapping, batch_size=job.batch_size):
                now = utcnow()
                result = ingest_records(batch, rules=service.rules(conn, job.workspace_id), customer_of=lookup,
                                        now=now, limits=job.limits, rows=True)
                conn.rollback()
                yield _Batch(len(batch), origin_of(batch), now, _WIRE.encode(result.accepted.flat),  # type: ignore[union-attr]
                             list(result.rejected))
    finally:
        engine.dispose()


def _hand(handed: Any, stop: Any, parent: int, item: object) -> bool:
    """Put ``item`` on the queue, waiting while it is full; False once the parent is gone or said stop."""
    while not stop.value and os.getppid() == parent:
        try:
            handed.put(item, timeout=_POLL_S)
            return True
        except queues.Full:
            continue
    return False


def _portable(exc: BaseException) -> BaseException | None:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an exception that does not round-trip is sent as text
        return None
    return exc


def origin_of(batch: list[Any]) -> str:
    """The file a batch of records came from (their source is ``file:line``)."""
    return batch[0].source.rsplit(":", 1)[0] if batch else "import"


__all__ = ["HANDOVER_FROM_BYTES", "FileJob", "Validated", "database_url_of", "origin_of", "validated_in_child"]
