"""The ingest application service: HTTP bodies, files and replays, one write path.

It holds the per-process caches that keep the hot path off the database: the
workspace's event rules (rebuilt when its meters change) and the map from an event's
``subject`` to a customer (an external id in the ``product`` system, else the
customer's key), reloaded at most once a second when a subject is not found, so a
customer created a moment ago is recognised without a query per event.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Transaction, func, select, update

from revbridge.catalog.versions import Status
from revbridge.errors import NotFoundError, ValidationError
from revbridge.ingest.envelope import (
    EventRules,
    IngestResult,
    RawRecord,
    Rejection,
    ingest_body,
    ingest_records,
    validate_events,
)
from revbridge.ingest.handover import (
    HANDOVER_FROM_BYTES,
    FileJob,
    Validated,
    database_url_of,
    origin_of,
    validated_in_child,
)
from revbridge.ingest.keys import own_inserts, publish
from revbridge.ingest.limits import DEFAULT_LIMITS, BodyTooLarge, IngestLimits, UnsupportedMediaType
from revbridge.ingest.readers import DEFAULT_BATCH_SIZE, ColumnMapping, read_events
from revbridge.ingest.rows import EventRows
from revbridge.ingest.store import BatchOutcome, Counts, bump_counters, quarantine_body, store_batch
from revbridge.ingest.tables import exceptions
from revbridge.scope import Scope, transaction, utcnow
from revbridge.store.tables import customers, external_ids, meters, workspaces

SUBJECT_SYSTEM = "product"
IMPORT_TRANSACTION_EVENTS = 50_000
STORE_GROUP_EVENTS = 20_000  # file records stored by one ``store_batch`` (``_joined``)
_RELOAD_AFTER_S = 1.0


@dataclass
class _WorkspaceCache:
    rules: EventRules | None = None
    rules_mark: tuple[Any, ...] = ()
    subjects: dict[str, str] = field(default_factory=dict)
    loaded_at: float = 0.0


class IngestService:
    """Validate and store usage for any workspace of one database."""

    def __init__(self, engine: Engine, limits: IngestLimits = DEFAULT_LIMITS,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.limits = limits
        self.clock = clock  # "now" for the lateness and future windows; the demo runs on a fixed clock
        self.handover_from_bytes = HANDOVER_FROM_BYTES  # a file this large is validated in a second process
        self._caches: dict[str, _WorkspaceCache] = {}
        self._lock = threading.Lock()

    # --- caches -------------------------------------------------------------------

    def _cache(self, workspace_id: str) -> _WorkspaceCache:
        with self._lock:
            return self._caches.setdefault(workspace_id, _WorkspaceCache())

    def rules(self, conn: Connection, workspace_id: str) -> EventRules:
        """The event rules of the workspace's active meters and allowed types."""
        cache = self._cache(workspace_id)
        mark = tuple(conn.execute(
            select(func.count(), func.max(meters.c.updated_at)).where(meters.c.workspace_id == workspace_id)
        ).one())
        settings = conn.execute(select(workspaces.c.settings).where(workspaces.c.id == workspace_id)).scalar_one()
        allowed = tuple(sorted((settings or {}).get("allowed_event_types", [])))
        mark = (*mark, allowed)
        if cache.rules is None or cache.rules_mark != mark:
            from revbridge.catalog.model import meter_from_dict

            rows = conn.execute(
                select(meters.c.definition).where(meters.c.workspace_id == workspace_id, meters.c.status == Status.ACTIVE)
            )
            cache.rules = EventRules.from_meters([meter_from_dict(r.definition) for r in rows], allowed)
            cache.rules_mark = mark
        return cache.rules

    def _load_subjects(self, conn: Connection, workspace_id: str) -> dict[str, str]:
        found = {r.key: r.id for r in conn.execute(
            select(customers.c.key, customers.c.id).where(customers.c.workspace_id == workspace_id))}
        found.update({r.external_id: r.entity_id for r in conn.execute(
            select(external_ids.c.external_id, external_ids.c.entity_id).where(
                external_ids.c.workspace_id == workspace_id, external_ids.c.entity_type == "customer",
                external_ids.c.system == SUBJECT_SYSTEM))})
        return found

    def customer_lookup(
        self, conn: Connection, workspace_id: str, fresh: bool = False, guard: AbstractContextManager[Any] = nullcontext()
    ) -> Any:
        """A ``subject -> customer id`` function for one batch.

        ``guard`` is held while a reload uses ``conn``, for a caller that shares the
        connection with another thread (the file import validates while it stores).
        """
        cache = self._cache(workspace_id)
        if fresh or not cache.loaded_at:
            cache.subjects, cache.loaded_at = self._load_subjects(conn, workspace_id), time.monotonic()

        def lookup(subject: str) -> str | None:
            found = cache.subjects.get(subject)
            if found is None and time.monotonic() - cache.loaded_at > _RELOAD_AFTER_S:
                with guard:
                    cache.subjects, cache.loaded_at = self._load_subjects(conn, workspace_id), time.monotonic()
                found = cache.subjects.get(subject)
            return found

        return lookup

    # --- write paths --------------------------------------------------------------

    def accept_body(self, workspace_id: str, body: bytes, content_type: str, origin: str = "http") -> BatchOutcome:
        """Validate and store one HTTP body; a body that is not events at all is quarantined and refused."""
        if len(body) > self.limits.max_body_bytes:
            raise BodyTooLarge(len(body), self.limits.max_body_bytes)
        now = self.clock()
        failed: ValidationError | None = None
        # Validated before the write transaction: on SQLite that holds the only write
        # lock, which other requests and the upkeep thread wait for meanwhile.
        with self.engine.connect().execution_options(revbridge_read_only=True) as conn:
            try:
                result = ingest_body(body, content_type, rules=self.rules(conn, workspace_id),
                                     customer_of=self.customer_lookup(conn, workspace_id), now=now, limits=self.limits)
            except UnsupportedMediaType:
                raise
            except ValidationError as exc:
                failed = exc
        with transaction(self.engine, workspace_id, "ingest", now) as scope:
            if failed is None:
                outcome = store_batch(scope, result, origin)
                own = own_inserts(scope.conn)
            else:
                failed.exception_id = quarantine_body(scope, body, failed.problems, origin)  # type: ignore[attr-defined]
        if failed is not None:
            raise failed
        publish(own)  # committed: this process's memory learns its own rows without reading them back
        return outcome

    def import_file(
        self, workspace_id: str, path: str | Path, mapping: ColumnMapping | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False,
    ) -> Iterator[tuple[int, BatchOutcome]]:
        """Import a JSON Lines, CSV or Parquet file; yields (records, outcome) as ``import_batches`` does.

        A large file is validated by a second process while this one stores
        (``ingest.handover``): the two use both cores. A small file, a database only
        this process can open, or a clock of the caller's own (which a second process
        cannot share) take ``import_batches``, validating in a thread.
        """
        batches = read_events(path, mapping, batch_size=batch_size)  # refuses an unknown kind of file here
        url = database_url_of(self.engine)
        if dry_run or url is None or self.clock is not utcnow or os.path.getsize(path) < self.handover_from_bytes:
            yield from self.import_batches(workspace_id, batches, dry_run)
            return
        job = FileJob(url, workspace_id, str(path), mapping, batch_size, self.limits)
        with self.engine.connect() as conn:
            yield from self._store_validated(conn, threading.Lock(), workspace_id, validated_in_child(job))

    def import_batches(
        self, workspace_id: str, batches: Iterable[list[RawRecord]], dry_run: bool = False
    ) -> Iterator[tuple[int, BatchOutcome]]:
        """Store batches of file records; yields (records, outcome) for each group of
        batches stored together (``_joined``), once its transaction has committed.

        While one batch is stored the next is validated by a thread that shares the
        connection, one at a time (``guard``): SQLite and psycopg release the GIL while
        they work.

        A dry run validates and classifies each batch against what is stored, then
        rolls it back.
        """
        if dry_run:
            yield from self._try_batches(workspace_id, batches)
            return
        guard = threading.Lock()
        with self.engine.connect() as conn:
            validated = self._validated_by_thread(conn, guard, workspace_id, batches)
            yield from self._store_validated(conn, guard, workspace_id, validated)

    def _store_validated(
        self, conn: Connection, guard: threading.Lock, workspace_id: str, validated: Iterator[Validated]
    ) -> Iterator[tuple[int, BatchOutcome]]:
        """Store judged batches, joined in groups, in transactions of about
        ``IMPORT_TRANSACTION_EVENTS`` events, as each commit writes every index page it
        touched; yield each group's outcome once its transaction has committed."""
        tx = conn.begin()
        stored: list[tuple[int, BatchOutcome]] = []  # not committed yet
        events = 0
        for records, origin, result, now in _joined(validated, min(STORE_GROUP_EVENTS, IMPORT_TRANSACTION_EVENTS)):
            with guard:
                stored.append((records, store_batch(Scope(conn, workspace_id, "import", now), result, origin)))
                events += records
                if events < IMPORT_TRANSACTION_EVENTS:
                    continue
                _commit(conn, tx)
                tx = conn.begin()
            yield from stored
            stored, events = [], 0
        _commit(conn, tx)
        yield from stored

    def _validated_by_thread(
        self, conn: Connection, guard: threading.Lock, workspace_id: str, batches: Iterable[list[RawRecord]]
    ) -> Iterator[Validated]:
        """Each batch validated by a second thread, one batch ahead of the caller."""
        source = iter(batches)
        lookup = self.customer_lookup(conn, workspace_id, guard=guard)

        def validate_next(rules: EventRules) -> Validated | None:
            batch = next(source, None)
            if batch is None:
                return None
            now = self.clock()
            result = ingest_records(batch, rules=rules, customer_of=lookup, now=now, limits=self.limits)
            return Validated(len(batch), origin_of(batch), result, now)

        with ThreadPoolExecutor(1, thread_name_prefix="import-validate") as ahead:
            pending = ahead.submit(validate_next, self.rules(conn, workspace_id))
            while (job := pending.result()) is not None:
                with guard:
                    pending = ahead.submit(validate_next, self.rules(conn, workspace_id))
                yield job

    def _try_batches(self, workspace_id: str, batches: Iterable[list[RawRecord]]) -> Iterator[tuple[int, BatchOutcome]]:
        """The dry run: each batch validated and classified in its own transaction, rolled back."""
        for batch in batches:
            with self.engine.connect() as conn, conn.begin() as tx:
                scope = Scope(conn, workspace_id, "import", self.clock())
                result = ingest_records(batch, rules=self.rules(conn, workspace_id),
                                        customer_of=self.customer_lookup(conn, workspace_id),
                                        now=scope.now, limits=self.limits)
                outcome = store_batch(scope, result, origin_of(batch))
                tx.rollback()
            yield len(batch), outcome

    def replay(self, scope: Scope, exception_ids: Iterable[str]) -> Counts:
        """Validate quarantined events again; accepted ones leave the queue.

        Counters move on the day the event was first received (a rejection becomes an
        acceptance or a duplicate), so the conservation law holds across replays.
        """
        total = Counts()
        lookup = self.customer_lookup(scope.conn, scope.workspace_id, fresh=True)
        rules = self.rules(scope.conn, scope.workspace_id)
        for exc_id in exception_ids:
            row = scope.conn.execute(select(exceptions).where(
                exceptions.c.workspace_id == scope.workspace_id, exceptions.c.id == exc_id)).first()
            if row is None:
                raise NotFoundError(f"no exception {exc_id!r} in this workspace")
            if row.state != "open" or row.kind != "usage_event":
                continue
            total.add(self._replay_one(scope, row, rules, lookup))
        return total

    def _replay_one(self, scope: Scope, row: Any, rules: EventRules, lookup: Any) -> Counts:
        result = validate_events([_parse_raw(row.raw)], rules=rules, customer_of=lookup, now=scope.now,
                                 limits=_replay_limits(self.limits))
        if not result.rejected:
            with scope.conn.begin_nested() as savepoint:
                outcome = store_batch(scope, IngestResult(result.accepted, []), f"replay:{row.id}", count=False)
                if outcome.counts.rejected:  # still a conflict: keep this exception, not a second one
                    savepoint.rollback()
            if not outcome.counts.rejected:
                moved = Counts(0, outcome.counts.accepted, outcome.counts.duplicate, -1)
                bump_counters(scope, row.received_day, moved)
                scope.conn.execute(update(exceptions).where(exceptions.c.id == row.id).values(
                    state="replayed", attempts=row.attempts + 1, resolved_at=scope.now, updated_at=scope.now))
                return moved
            problems = [p for e in outcome.errors for p in [{k: e[k] for k in ("field", "reason") if k in e}]]
        else:
            problems = [p.as_dict() for p in result.rejected[0].problems]
        scope.conn.execute(update(exceptions).where(exceptions.c.id == row.id).values(
            attempts=row.attempts + 1, problems=problems, updated_at=scope.now))
        return Counts()


def _joined(validated: Iterable[Validated], events: int) -> Iterator[Validated]:
    """Consecutive batches joined into one of at least ``events`` events (or what is left).

    Storing looks every key up in SQLite's keys table, and a batch's random keys touch
    nearly every page of it once that is larger than the page cache: a batch four times
    the size costs about the same page reads, a quarter as many per event. The reading
    and validating side keeps its batches small, so its memory stays small. A group
    never spans two UTC days, so each batch counts on the day it was received.
    """
    group: list[Validated] = []
    count = 0
    for batch in validated:
        if group and batch.now.date() != group[0].now.date():
            yield _join(group)
            group, count = [], 0
        group.append(batch)
        count += batch.records
        if count >= events:
            yield _join(group)
            group, count = [], 0
    if group:
        yield _join(group)


def _join(group: list[Validated]) -> Validated:
    """One batch of them all: rejections keep their place in it, and it is stored as of the last one's ``now``."""
    if len(group) == 1:
        return group[0]
    accepted = EventRows()
    rejected: list[Rejection] = []
    offset = 0
    for batch in group:
        accepted.extend(EventRows.of_accepted(batch.result.accepted))
        rejected.extend(replace(r, index=r.index + offset) for r in batch.result.rejected)
        offset += batch.records
    return Validated(offset, group[0].origin, IngestResult(accepted, rejected), group[-1].now)


def _commit(conn: Connection, tx: Transaction) -> None:
    """Commit, then let this process's memory learn the rows it stored (``keys.publish``)."""
    own = own_inserts(conn)
    tx.commit()
    publish(own)


def _replay_limits(limits: IngestLimits) -> IngestLimits:
    """A replayed event is judged as when it arrived: lateness does not grow while it waits."""
    from datetime import timedelta

    return replace(limits, max_lateness=limits.max_lateness + timedelta(days=3650))


def _parse_raw(raw: str) -> Any:
    import json
    from decimal import Decimal

    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError:
        return raw


__all__ = ["IngestService"]


def limits_from(settings: Any) -> IngestLimits:
    """The ingest limits a ``Settings`` asks for."""
    from datetime import timedelta

    return IngestLimits(
        max_body_bytes=settings.ingest_max_body_bytes,
        max_batch_events=settings.ingest_max_batch_events,
        max_string_length=settings.ingest_max_string_length,
        max_depth=settings.ingest_max_depth,
        max_future=timedelta(seconds=settings.ingest_max_future_seconds),
        max_lateness=timedelta(days=settings.ingest_max_lateness_days),
    )
