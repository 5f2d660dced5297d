"""Keep accepted events exactly once, quarantine the rest, and count everything.

``store_batch`` is the one write path for HTTP ingest, file import and replay. In one
transaction it: drops in-batch repeats; inserts the new events exactly once
(PostgreSQL: ``ON CONFLICT DO NOTHING``, so concurrent senders of one event, in any
number of processes, store it once; SQLite: a look-up under its single write lock,
``ingest.keys``); tells a duplicate (same key, same digest) from a conflict (same key,
another payload: kept as an exception beside the untouched original); flags events that land
in an already billed period as late; writes every refusal to the exceptions queue; and
adds the batch to the day's counters, which always satisfy
``received = accepted + duplicate + rejected``. The caller answers only after commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Connection, String, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from revbridge.errors import Problem
from revbridge.ids import new_id
from revbridge.ingest.envelope import IngestResult
from revbridge.ingest.keys import merge_due, next_event_id, remember, stored_keys
from revbridge.ingest.rollups import hold_ingest_share
from revbridge.ingest.rows import (
    CUSTOMER,
    DIGEST,
    EVENT_ID,
    KEY_HASH,
    PAYLOAD,
    SOURCE,
    TIME,
    TYPE,
    WIDTH,
    EventRows,
    Row,
)
from revbridge.ingest.tables import billed_periods, exceptions, usage_counters, usage_events
from revbridge.scope import Scope
from revbridge.store.types import sqlite_instant


class Reason:
    """Why an input is in the exceptions queue."""

    UNKNOWN_CUSTOMER = "unknown_customer"
    UNKNOWN_TYPE = "unknown_type"
    BAD_FIELD = "bad_field"
    CONFLICT = "conflict"
    BAD_BODY = "bad_body"


@dataclass
class Counts:
    received: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0

    def add(self, other: Counts) -> None:
        self.received += other.received
        self.accepted += other.accepted
        self.duplicate += other.duplicate
        self.rejected += other.rejected

    def as_dict(self) -> dict[str, int]:
        return {"received": self.received, "accepted": self.accepted, "duplicate": self.duplicate,
                "rejected": self.rejected}


@dataclass
class BatchOutcome:
    counts: Counts
    errors: list[dict[str, Any]] = field(default_factory=list)  # per refused event: index, id, field, reason
    exception_ids: list[str] = field(default_factory=list)
    late: int = 0


def reason_of(problems: Sequence[Problem]) -> str:
    for problem in problems:
        if problem.field.endswith("subject") and problem.reason == "unknown customer":
            return Reason.UNKNOWN_CUSTOMER
        if problem.field.endswith("type") and problem.reason.startswith("unknown event type"):
            return Reason.UNKNOWN_TYPE
    return Reason.BAD_FIELD


def dialect_insert(conn: Connection) -> Any:
    """The backend's ``insert`` construct, which knows ``ON CONFLICT``."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)


def store_batch(scope: Scope, result: IngestResult, origin: str, count: bool = True) -> BatchOutcome:
    """Persist one validated batch; ``count=False`` leaves the counters to the caller (replay)."""
    rows = EventRows.of_accepted(result.accepted)
    outcome = BatchOutcome(Counts(received=len(rows) + len(result.rejected)))
    fresh, repeats = _split_repeats(rows)
    inserted, stored = _insert_new(scope, fresh)
    outcome.counts.accepted = len(inserted)
    outcome.late = sum(inserted.values())
    conflicts: list[Row] = []
    if repeats or len(inserted) < len(fresh):
        keys = fresh.dedup_keys()
        firsts = dict(zip(keys, fresh.column(DIGEST), strict=True))
        for row in [*(fresh.row(i) for i, key in enumerate(keys) if key not in inserted), *map(rows.row, repeats)]:
            key = (row[SOURCE], row[EVENT_ID])
            if (stored.get(key) or firsts[key]) == row[DIGEST]:
                outcome.counts.duplicate += 1
            else:
                conflicts.append(row)
    kept: list[dict[str, Any]] = []  # the exceptions, inserted in one statement
    for rejection in result.rejected:
        kept.append(_exception(scope, reason_of(rejection.problems), rejection.raw, list(rejection.problems),
                               rejection.source or origin, None, rejection.event_id))
        outcome.errors += [{"index": rejection.index, "id": rejection.event_id, **p.as_dict(),
                            "exception_id": kept[-1]["id"]} for p in rejection.problems]
    for row in conflicts:
        problem = Problem("id", "conflict: this source and id were stored earlier with a different payload",
                          row[EVENT_ID], event_id=row[EVENT_ID])
        kept.append(_exception(scope, Reason.CONFLICT, row[PAYLOAD].decode(), [problem], origin, row[SOURCE],
                               row[EVENT_ID]))
        outcome.errors.append({"id": row[EVENT_ID], **problem.as_dict(), "exception_id": kept[-1]["id"]})
    if kept:
        scope.conn.execute(exceptions.insert(), kept)
        outcome.exception_ids = [row["id"] for row in kept]
    outcome.counts.rejected = len(result.rejected) + len(conflicts)
    if count:
        bump_counters(scope, scope.now.date(), outcome.counts)
    return outcome


def _split_repeats(rows: EventRows) -> tuple[EventRows, list[int]]:
    """The first event of every key, and the places of the later ones with a key already
    seen in the batch."""
    hashes = rows.column(KEY_HASH)
    if len(set(hashes)) == len(hashes):  # distinct hashes are distinct keys
        return rows, []
    seen: set[tuple[str, str]] = set()
    firsts: list[int] = []
    repeats: list[int] = []
    for index, key in enumerate(rows.dedup_keys()):
        if key in seen:
            repeats.append(index)
        else:
            firsts.append(index)
            seen.add(key)
    return rows.take(firsts), repeats


def _insert_new(
    scope: Scope, rows: EventRows
) -> tuple[dict[tuple[str, str], bool], dict[tuple[str, str], str]]:
    """Insert what is new. Returns the keys inserted (with their late flag) and the
    digests already stored for the keys that were not.

    The hot path of ingest, so each backend gets its fastest exact-once way: SQLite
    (one writer, so nothing can slip in between) looks the keys up first and inserts
    only new ones (``ingest.keys``); PostgreSQL one ``INSERT ... SELECT FROM
    unnest(...) ON CONFLICT DO NOTHING RETURNING``, which stays exact with concurrent
    writers.
    """
    if not rows:
        return {}, {}
    late = _late_flags(scope, rows)
    hold_ingest_share(scope.conn)  # the rollup builder waits for this transaction (PostgreSQL)
    if scope.conn.dialect.name == "sqlite":
        return _insert_sqlite(scope, rows, late)
    columns = {"source": SOURCE, "event_id": EVENT_ID, "type": TYPE, "customer_id": CUSTOMER, "time": TIME,
               "digest": DIGEST, "payload": PAYLOAD, "key_hash": KEY_HASH}
    found = scope.conn.exec_driver_sql(_PG_INSERT, {
        "ws": scope.workspace_id, "received": scope.now, "late": late,
        **{name: rows.column(field) for name, field in columns.items()}})
    inserted = {(r.source, r.event_id): bool(r.late) for r in found}
    rest = [key for key in rows.dedup_keys() if key not in inserted]
    stored = {key: digest for key, digest, _ in _stored_rows(scope.conn, scope.workspace_id, rest)}
    return inserted, stored


def _insert_sqlite(
    scope: Scope, rows: EventRows, late: list[bool]
) -> tuple[dict[tuple[str, str], bool], dict[tuple[str, str], str]]:
    """Look the keys up (``ingest.keys``: no unique index on SQLite), insert the new ones.

    Exact because this runs under SQLite's single write lock: nothing can store one of
    these keys between the look-up and the insert. The new rows take the ids after
    every id ever used (``AUTOINCREMENT``), in order: the transaction knows each one's
    id for its later look-ups, and checks that SQLite gave those.
    """
    ws = scope.workspace_id
    keys = rows.dedup_keys()
    hashes = rows.column(KEY_HASH)
    found = stored_keys(scope.conn, ws, keys, hashes)
    if found:  # only the new ones go on
        new = [i for i, key in enumerate(keys) if key not in found]
        rows, keys, hashes, late = rows.take(new), *([column[i] for i in new] for column in (keys, hashes, late))
    if rows:
        ids = _insert_rows(scope.conn, ws, sqlite_instant(scope.now), rows)
        if any(late):
            scope.conn.exec_driver_sql(
                "UPDATE usage_events SET late = 1 WHERE id IN (SELECT value FROM json_each(?))",
                (msgspec.json.encode([row for row, flag in zip(ids, late, strict=True) if flag]).decode(),))
        remember(scope.conn, ws, list(zip(hashes, ids, strict=True)))
        if ids.start // _MERGE_CHECK_EVERY != ids.stop // _MERGE_CHECK_EVERY:  # a few queries: not every batch
            merge_due(scope.conn, inline=True)  # what no upkeep kept up with (a long import), merged here
    return dict(zip(keys, late, strict=True)), {key: digest for key, (digest, _) in found.items()}


def _insert_rows(conn: Connection, workspace_id: str, received: str, rows: EventRows) -> range:
    """Insert event rows many to a statement: ``_ROWS_PER_STATEMENT`` (fewer where the
    SQLite build allows fewer parameters), the remainder in statements of a power of
    two. Returns the ids SQLite gave them, checked.

    ``usage_events`` is ``AUTOINCREMENT`` (ids are never reused: ``ingest.keys``), so
    every statement reads and writes ``sqlite_sequence``; and inside a transaction each
    multi-row statement keeps a copy of every page it changes that existed before it
    (the last leaf and its parents, ``sqlite_sequence``), to undo it alone on a
    constraint error. One statement per row spent a fifth of an insert's time on the
    first, 64 rows a statement still a tenth on the second (both measured on a million
    rows of the bench's shape). Powers of two keep the distinct statements, each
    prepared once and cached, to a dozen. A statement's parameters are the workspace,
    the receipt time, then a slice of the rows.
    """
    first = next_event_id(conn)
    per = _rows_per_statement(conn)
    flat, shared = rows.flat, (workspace_id, received)
    start, count = 0, len(rows)
    while start < count:
        left = count - start
        size = per if left >= per else 1 << (left.bit_length() - 1)
        end = start + left // size * size
        conn.exec_driver_sql(_insert_statement(size), [
            (*shared, *flat[at * WIDTH:(at + size) * WIDTH]) for at in range(start, end, size)])
        start = end
    last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    if last != first + count - 1:  # cannot happen under the write lock; the keys would be wrong if it did
        raise RuntimeError(f"usage events were given ids up to {last}, expected {first}..{first + count - 1}")
    return range(first, first + count)


def _rows_per_statement(conn: Connection) -> int:
    """The most rows, a power of two up to ``_ROWS_PER_STATEMENT``, whose parameters this build takes."""
    limit = conn.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[union-attr]
    per = _ROWS_PER_STATEMENT
    while per > 1 and 2 + per * WIDTH > limit:
        per //= 2
    return per


@lru_cache(maxsize=16)
def _insert_statement(rows: int) -> str:
    """``rows`` rows of ``WIDTH`` parameters each, after the workspace (?1) and receipt time (?2)."""
    values = ", ".join(
        "(?1, " + ", ".join(f"?{3 + n * WIDTH + field}" for field in range(WIDTH - 1)) + f", ?2, 0, ?{2 + (n + 1) * WIDTH})"
        for n in range(rows))
    return _SQLITE_COLUMNS + values


_MERGE_CHECK_EVERY = 10_000  # event ids between a writer's looks at whether a merge is due
_SQLITE_COLUMNS = (  # in the order of the rows' fields (``ingest.rows``), with the receipt time and late flag
    "INSERT INTO usage_events (workspace_id, source, event_id, type, customer_id, time, digest, payload, "
    "received_at, late, key_hash) VALUES "
)
_ROWS_PER_STATEMENT = 1024  # 8,194 parameters: SQLite 3.32 and later take 32,766 (older builds 999: 64 rows)
_PG_INSERT = (
    "INSERT INTO usage_events (workspace_id, source, event_id, type, customer_id, time, digest, payload, "
    "received_at, late, key_hash) "
    "SELECT %(ws)s, s, i, ty, c, tm, d, p, %(received)s, l, h FROM unnest("
    "%(source)s::text[], %(event_id)s::text[], %(type)s::text[], %(customer_id)s::text[], "
    "%(time)s::timestamptz[], %(digest)s::text[], %(payload)s::bytea[], %(late)s::boolean[], %(key_hash)s::bigint[]"
    ") AS t(s, i, ty, c, tm, d, p, l, h) "
    "ON CONFLICT (workspace_id, source, event_id) DO NOTHING RETURNING source, event_id, late"
)


def _one_of(conn: Connection, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """``column IN (values)`` with one bound parameter however many values there are.

    One statement, compiled once and cached, instead of a parameter per value: a JSON
    array read by ``json_each`` on SQLite, an array and ``= ANY`` on PostgreSQL.
    """
    clause: ColumnElement[bool]
    if conn.dialect.name == "sqlite":
        listed = msgspec.json.encode(values).decode()
        clause = column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(None, listed))))
    else:
        clause = column == func.any(bindparam(None, list(values), type_=postgresql.ARRAY(String())))
    return clause


def _late_flags(scope: Scope, rows: EventRows) -> list[bool]:
    """Whether each event falls in a period already billed for its customer and type."""
    times, customers = rows.column(TIME), rows.column(CUSTOMER)
    found = scope.conn.execute(
        select(billed_periods.c.customer_id, billed_periods.c.event_type, billed_periods.c.period_start,
               billed_periods.c.period_end).where(
            billed_periods.c.workspace_id == scope.workspace_id,
            _one_of(scope.conn, billed_periods.c.customer_id, sorted(set(customers))),
            billed_periods.c.period_end > datetime.fromisoformat(min(times)),
        )
    )
    periods: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for r in found:  # compared as the rows hold times: fixed-width UTC text, in time order
        periods.setdefault((r.customer_id, r.event_type), []).append(
            (sqlite_instant(r.period_start), sqlite_instant(r.period_end)))
    if not periods:
        return [False] * len(rows)
    return [
        any(start <= moment < end for start, end in periods.get((customer, kind), ()))
        for customer, kind, moment in zip(customers, rows.column(TYPE), times, strict=True)
    ]


def _stored_rows(
    conn: Connection, workspace_id: str, keys: Sequence[tuple[str, str]]
) -> list[tuple[tuple[str, str], str, int]]:
    """``(key, digest, row id)`` of the stored events with these keys; one index range per source."""
    by_source: dict[str, list[str]] = {}
    for source, event_id in keys:
        by_source.setdefault(source, []).append(event_id)
    found: list[tuple[tuple[str, str], str, int]] = []
    for source, ids in by_source.items():
        rows = conn.execute(
            select(usage_events.c.event_id, usage_events.c.digest, usage_events.c.id).where(
                usage_events.c.workspace_id == workspace_id,
                usage_events.c.source == source,
                _one_of(conn, usage_events.c.event_id, sorted(set(ids))),
            )
        )
        found.extend(((source, r.event_id), r.digest, r.id) for r in rows)
    return found


def _exception(
    scope: Scope, reason: str, raw: str, problems: list[Problem], origin: str, event_source: str | None,
    event_id: str | None, kind: str = "usage_event",
) -> dict[str, Any]:
    """The exceptions-queue row that keeps one refused input."""
    return {"id": new_id("exc"), "workspace_id": scope.workspace_id, "kind": kind, "reason": reason, "state": "open",
            "origin": origin[:512] if origin else None, "event_source": event_source, "event_id": event_id,
            "raw": raw, "problems": [p.as_dict() for p in problems], "received_day": scope.now.date(),
            "attempts": 0, "created_at": scope.now, "updated_at": scope.now}


def quarantine_body(scope: Scope, body: bytes, problems: list[Problem], origin: str) -> str:
    """Keep a body that could not be read as events at all (malformed JSON, bad UTF-8, ...)."""
    row = _exception(scope, Reason.BAD_BODY, body.decode("utf-8", "backslashreplace"), problems, origin, None, None,
                     kind="usage_body")
    scope.conn.execute(exceptions.insert(), [row])
    return str(row["id"])


def bump_counters(scope: Scope, day: date, counts: Counts) -> None:
    """Add ``counts`` (which may be negative, for a replay's move) to the day's counters."""
    delta = {"received": counts.received, "accepted": counts.accepted, "duplicate": counts.duplicate,
             "rejected": counts.rejected}
    if not any(delta.values()):
        return
    stmt = dialect_insert(scope.conn)(usage_counters).values(workspace_id=scope.workspace_id, day=day, **delta)
    stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_id", "day"],
        set_={name: getattr(usage_counters.c, name) + getattr(stmt.excluded, name) for name in delta},
    )
    scope.conn.execute(stmt)


def counters(scope: Scope, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """The daily counters in ``[start, end)``, oldest first."""
    where = [usage_counters.c.workspace_id == scope.workspace_id]
    if start:
        where.append(usage_counters.c.day >= start)
    if end:
        where.append(usage_counters.c.day < end)
    rows = scope.conn.execute(select(usage_counters).where(and_(*where)).order_by(usage_counters.c.day))
    return [{k: v for k, v in r._mapping.items() if k != "workspace_id"} for r in rows]


def late_usage(scope: Scope, customer_id: str | None = None) -> list[dict[str, Any]]:
    """Accepted events still flagged late, grouped by customer, type and billed period."""
    where = [usage_events.c.workspace_id == scope.workspace_id, usage_events.c.late.is_(True)]
    if customer_id:
        where.append(usage_events.c.customer_id == customer_id)
    rows = scope.conn.execute(
        select(usage_events.c.customer_id, usage_events.c.type, usage_events.c.time).where(and_(*where))
    ).all()
    periods = scope.conn.execute(
        select(billed_periods).where(
            billed_periods.c.workspace_id == scope.workspace_id,
            or_(*[billed_periods.c.customer_id == c for c in {r.customer_id for r in rows}]) if rows else False,
        )
    ).all()
    groups: dict[tuple[str, str, str, datetime, datetime], int] = {}
    for r in rows:
        for p in periods:
            if p.customer_id == r.customer_id and p.event_type == r.type and p.period_start <= r.time < p.period_end:
                key = (r.customer_id, p.meter_code, r.type, p.period_start, p.period_end)
                groups[key] = groups.get(key, 0) + 1
    return [
        {"customer_id": c, "meter": m, "type": t, "period_start": s, "period_end": e, "events": n}
        for (c, m, t, s, e), n in sorted(groups.items())
    ]
