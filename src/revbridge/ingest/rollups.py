"""Hourly rollups: each meter's partial aggregates per customer, hour and group.

Why. One customer's month at 10M stored events is ~10,000 raw events to read and decode
(hundreds of milliseconds); its rollups are at most 744 rows an hour-grouped meter. A
billing run over thousands of customers reads rollups, not millions of events.

How it stays exact. Rollups are a cache of a pure function of the stored events:

* A meter's rollups are keyed by ``meter_key``, a hash of its aggregating definition
  (``Meter.billing_form``), so a meter whose filters or property change gets fresh
  rollups from the first event, and an unchanged one keeps its rollups across catalog
  versions. Keys no meter uses any more are dropped.
* ``usage_rollup_marks.through_id`` says which events a meter's rollups cover: all with
  ``id <= through_id``, none after. A query reads the rollups and that mark in one
  statement (one snapshot) and adds the raw events with ``id > through_id``, so
  whether the builder ran a second ago or a week ago only changes the speed.
* The builder (``roll_up``) reads events in id order past the lowest mark, folds each
  into the ``Partial`` of its key (``ingest.partials``) and merges those into the stored
  rows in the database, with exact arithmetic on both backends (NUMERIC on PostgreSQL,
  the ``revbridge_dec_*`` functions over decimal text on SQLite), then moves the marks,
  all in one transaction. One builder at a time (SQLite's single writer; a transaction
  advisory lock on PostgreSQL).
* On PostgreSQL, ids come from a sequence, so a transaction can commit an id lower
  than one already visible. Ingest transactions hold a shared advisory lock while they
  write; the builder takes it exclusively for an instant to read the highest id, so every
  id up to that ceiling is committed (or never will be) before it reads them.

Each row also keeps the earliest and latest time of its events (``first_time``,
``last_time``): a period that starts or ends inside an hour (a month to date) can use
that hour's rows when both fall inside it, instead of reading the hour's raw events.

Rollups are built by ``revbridge serve`` in the background, after ``events import``,
at the start of every billing run, and by ``revbridge usage rollup``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import Connection, Engine, and_, case, delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from revbridge.catalog.model import Aggregation, Meter, meter_from_dict
from revbridge.ingest.envelope import UsageEvent
from revbridge.ingest.partials import Partial, group_of, value_key
from revbridge.ingest.reference import Window, takes_part, window_start
from revbridge.ingest.tables import usage_events, usage_rollup_marks, usage_rollups
from revbridge.store.tables import meters
from revbridge.store.types import sqlite_instant

ROLLUP_CHUNK = 100_000  # events a builder transaction folds at most
MERGE_ROWS = 20_000  # ... and rollup rows it writes, about: the write lock is held that long
_FETCH = 5_000  # rows read from the driver at a time, so a chunk never sits in memory whole
HOUR = timedelta(hours=1)
# Advisory lock keys (PostgreSQL): ingest writers share one, builders serialise on the other.
INGEST_LOCK = 7_215_263_105_871_001
BUILD_LOCK = 7_215_263_105_871_002

_PAYLOAD = msgspec.json.Decoder(dict[str, Any], float_hook=Decimal)
_EVENT_COLUMNS = ("id", "source", "event_id", "type", "customer_id", "time", "digest", "payload")

RollupKey = tuple[str, datetime, str, str]  # (customer, hour, group_key, value_key)


def meter_key(meter: Meter) -> str:
    """The rollups' name for what a meter aggregates: equal definitions share rollups."""
    text = json.dumps(meter.billing_form(), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def event_of(
    source: str, event_id: str, type_: str, customer_id: str, time: datetime, digest: str, payload: bytes
) -> UsageEvent:
    """A stored event (the columns of ``event_columns`` after the id), decoded from its
    canonical payload with quantities as ``Decimal``."""
    doc = _PAYLOAD.decode(payload)
    return UsageEvent(
        source=source, id=event_id, type=type_, subject=doc.get("subject", ""), customer_id=customer_id,
        time=time, data=doc.get("data") or {}, extensions={}, digest=digest, payload=payload,
    )


def event_columns() -> list[Any]:
    return [usage_events.c[name] for name in _EVENT_COLUMNS]


def hold_ingest_share(conn: Connection) -> None:
    """Called by every writer of ``usage_events`` before it inserts (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock_shared({INGEST_LOCK})")


# --- the builder ------------------------------------------------------------------------


@dataclass
class _Folded:
    """What one chunk of events adds to each meter's rollups, and the id it reaches."""

    buckets: dict[str, dict[RollupKey, Partial]]
    spans: dict[str, dict[RollupKey, list[datetime]]]  # [earliest, latest] time of each bucket's events
    read: int
    reached: int
    more: bool  # stopped at ``chunk`` events or ``MERGE_ROWS`` rows: events past ``reached`` wait


def roll_up(conn: Connection, workspace_id: str, now: datetime, chunk: int = ROLLUP_CHUNK) -> int:
    """Fold up to ``chunk`` events past the marks into the rollups; returns how many were read.

    Runs inside the caller's transaction; call again while it returns ``chunk``.
    Returns 0 at once if another builder holds the workspace (PostgreSQL).
    """
    postgres = conn.dialect.name == "postgresql"
    if postgres and not conn.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({BUILD_LOCK})").scalar():
        return 0
    marks = _sync_marks(conn, workspace_id, now, lock=True)  # a roll_up_all writing meanwhile sees them move
    folded = _fold(conn, workspace_id, marks, chunk) if marks else None
    if folded is None:
        return 0
    _store(conn, workspace_id, folded, now)
    return folded.read


def roll_up_all(
    engine: Engine, workspace_id: str, now: datetime, chunk: int = ROLLUP_CHUNK,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Build until the rollups are current (or ``stopping()`` says stop, checked after
    each chunk); returns the events read.

    Each chunk is read and folded in a read-only transaction, and only merged in a write
    transaction: on SQLite that one holds the single write lock ingest is waiting for,
    so it lasts the merge, not the decoding. The write checks that the marks are still
    the ones the fold started from (``FOR UPDATE`` on PostgreSQL, so two builders never
    add one chunk twice); if another builder moved them, this one leaves the rest to it.
    """
    with engine.begin() as conn:
        marks = _sync_marks(conn, workspace_id, now)
    total = 0
    while marks:
        with engine.connect().execution_options(revbridge_read_only=True) as conn, conn.begin():
            folded = _fold(conn, workspace_id, marks, chunk)
        if folded is None:
            break
        with engine.begin() as conn:
            if _marks_of(conn, workspace_id, lock=True) != {key: through for key, (_, through) in marks.items()}:
                break
            _store(conn, workspace_id, folded, now)
        total += folded.read
        if not folded.more or stopping():
            break
        marks = {key: (meter, max(through, folded.reached)) for key, (meter, through) in marks.items()}
    return total


def _fold(conn: Connection, workspace_id: str, marks: dict[str, tuple[Meter, int]], chunk: int) -> _Folded | None:
    """Read up to ``chunk`` events past the lowest mark and fold each into its partials.

    Stops early once the partials would make ``MERGE_ROWS`` rollup rows: events that
    spread over many customers and hours (a backfill) add a row each, and the merge
    holds the write lock ingest waits for. Live usage, a few hours of every customer,
    folds a whole chunk into a few thousand rows.
    """
    ceiling = _committed_ceiling(conn)
    low = min(through for _, through in marks.values())
    if ceiling <= low:
        return None
    result = conn.exec_driver_sql(_READ[conn.dialect.name], (workspace_id, low, ceiling, chunk))
    buckets: dict[str, dict[RollupKey, Partial]] = {key: {} for key in marks}
    spans: dict[str, dict[RollupKey, list[datetime]]] = {key: {} for key in marks}
    by_type: dict[str, list[tuple[str, Meter, int]]] = {}
    for key, (meter, through) in marks.items():
        by_type.setdefault(meter.event_type, []).append((key, meter, through))
    groups: dict[tuple[str | None, ...], str] = {}
    instant = _instant_reader(conn.dialect.name)
    read, last, full = 0, low, False
    while not full and (rows := result.fetchmany(_FETCH)):
        for row in rows:
            wanted = by_type.get(row[3])
            if not wanted:
                continue
            moment = instant(row[5])
            event = event_of(row[1], row[2], row[3], row[4], moment, row[6], row[7])
            hour = window_start(moment, Window.HOUR)
            for key, meter, through in wanted:
                if row[0] > through and takes_part(meter, event):
                    group = group_of(meter, event)
                    text = groups.get(group)
                    if text is None:
                        text = groups[group] = _group_text(group)
                    bucket = (event.customer_id, hour, text, value_key(meter, event))
                    partial = buckets[key].get(bucket)
                    if partial is None:
                        partial = buckets[key][bucket] = Partial()
                        spans[key][bucket] = [moment, moment]
                    else:
                        span = spans[key][bucket]
                        if moment < span[0]:
                            span[0] = moment
                        elif moment > span[1]:
                            span[1] = moment
                    partial.add_event(meter, event)
        read, last = read + len(rows), rows[-1][0]
        full = sum(len(partials) for partials in buckets.values()) >= MERGE_ROWS
    result.close()
    more = full or read == chunk
    return _Folded(buckets, spans, read, last if more else ceiling, more)


def _store(conn: Connection, workspace_id: str, folded: _Folded, now: datetime) -> None:
    """Merge a fold into the stored rows and move the marks past it."""
    for key, partials in folded.buckets.items():
        if partials:
            _merge_rows(conn, workspace_id, key, partials, folded.spans[key])
    conn.execute(
        update(usage_rollup_marks)
        .where(usage_rollup_marks.c.workspace_id == workspace_id, usage_rollup_marks.c.through_id < folded.reached)
        .values(through_id=folded.reached, updated_at=now)
    )


def _marks_of(conn: Connection, workspace_id: str, lock: bool = False) -> dict[str, int]:
    query = select(usage_rollup_marks.c.meter_key, usage_rollup_marks.c.through_id).where(
        usage_rollup_marks.c.workspace_id == workspace_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {r.meter_key: int(r.through_id) for r in conn.execute(query)}


def _sync_marks(
    conn: Connection, workspace_id: str, now: datetime, lock: bool = False
) -> dict[str, tuple[Meter, int]]:
    """The marks of every meter definition in the catalog, created at 0 when new; marks
    and rollups of definitions no meter has any more are deleted."""
    wanted: dict[str, Meter] = {}
    for row in conn.execute(select(meters.c.definition).where(meters.c.workspace_id == workspace_id)):
        meter = meter_from_dict(row.definition)
        wanted[meter_key(meter)] = meter
    found = _marks_of(conn, workspace_id, lock)
    gone = sorted(set(found) - set(wanted))
    if gone:
        for table in (usage_rollups, usage_rollup_marks):
            conn.execute(delete(table).where(table.c.workspace_id == workspace_id, table.c.meter_key.in_(gone)))
    new = [key for key in wanted if key not in found]
    if new:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(insert(usage_rollup_marks).on_conflict_do_nothing(), [  # another builder may add them too
            {"workspace_id": workspace_id, "meter_key": key, "definition": wanted[key].billing_form(),
             "through_id": 0, "updated_at": now} for key in new])
    return {key: (meter, found.get(key, 0)) for key, meter in wanted.items()}


def _committed_ceiling(conn: Connection) -> int:
    """The highest event id below which every id is committed or never will be."""
    highest = select(func.max(usage_events.c.id))  # of every workspace: the end of the id index, O(1)
    if conn.dialect.name != "postgresql":
        return int(conn.execute(highest).scalar() or 0)  # one writer: whatever is visible is all
    # Wait out the ingest transactions in flight, read the highest id, let them go on.
    conn.exec_driver_sql(f"SELECT pg_advisory_lock({INGEST_LOCK})")
    try:
        return int(conn.execute(highest).scalar() or 0)
    finally:
        conn.exec_driver_sql(f"SELECT pg_advisory_unlock({INGEST_LOCK})")


def _group_text(group: tuple[str | None, ...]) -> str:
    return json.dumps(list(group), separators=(",", ":"))


def _merge_rows(
    conn: Connection, workspace_id: str, key: str, partials: dict[RollupKey, Partial],
    spans: dict[RollupKey, list[datetime]],
) -> None:
    """Add the partials to the stored rows (insert, or combine with the row there).

    The hot loop of the builder, so rows go to the driver as tuples, in each backend's
    own formats (as ``UTCDateTime`` and ``Amount`` would write them), to one statement
    compiled once per dialect.
    """
    dialect = conn.dialect.name
    sqlite_ = dialect == "sqlite"
    hour_of, instant, amount = (_sqlite_hour, sqlite_instant, _sqlite_amount) if sqlite_ else (_same, _same, _same)
    rows = []
    for bucket, p in sorted(partials.items()):
        customer, hour, group, value = bucket
        latest, (earliest, newest) = p.latest, spans[bucket]
        rows.append((
            workspace_id, key, customer, hour_of(hour), group, value, p.events, amount(p.total), amount(p.peak),
            *((instant(latest[0]), latest[1], latest[2], amount(latest[3])) if latest else (None,) * 4),
            instant(earliest), instant(newest),
        ))
    conn.exec_driver_sql(_merge_sql(conn), rows)


def _merge_sql(conn: Connection) -> str:
    dialect = conn.dialect.name
    if dialect not in _MERGE_SQL:
        compiled = _merge_statement(dialect).compile(dialect=conn.dialect)
        names = [c.name for c in usage_rollups.columns]
        text = compiled.string
        if dialect == "postgresql":  # psycopg's positional style for the driver
            for name in names:
                text = text.replace(f"%({name}_m0)s", "%s").replace(f"%({name})s", "%s")
        _MERGE_SQL[dialect] = text
    return _MERGE_SQL[dialect]


_MERGE_SQL: dict[str, str] = {}


def _same(value: Any) -> Any:
    return value


@lru_cache(maxsize=4096)
def _sqlite_hour(hour: datetime) -> str:
    """``sqlite_instant`` of an hour: a merge writes the same few hours thousands of times."""
    return sqlite_instant(hour)


def _sqlite_amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _instant_reader(dialect: str) -> Any:
    """How the driver's ``time`` becomes an aware UTC datetime (text on SQLite)."""
    if dialect == "sqlite":
        return datetime.fromisoformat
    return _same


_READ = {
    name: (
        # the workspace as an expression: the id range must drive, not a workspace index
        f"SELECT {', '.join(_EVENT_COLUMNS)} FROM usage_events "
        f"WHERE workspace_id || '' = {mark} AND id > {mark} AND id <= {mark} ORDER BY id LIMIT {mark}"
    )
    for name, mark in (("sqlite", "?"), ("postgresql", "%s"))
}


def _merge_statement(dialect: str) -> Any:
    table = usage_rollups
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    new = stmt.excluded
    if dialect == "postgresql":
        least, greatest = func.least, func.greatest
        total = func.coalesce(table.c.total + new.total, table.c.total, new.total)
        peak = func.greatest(table.c.peak, new.peak)
        newer = tuple_(new.latest_time, new.latest_source.collate("C"), new.latest_event_id.collate("C")) > tuple_(
            table.c.latest_time, table.c.latest_source.collate("C"), table.c.latest_event_id.collate("C"))
    else:
        least, greatest = func.min, func.max  # with two arguments, SQLite's scalar min and max
        total = func.revbridge_dec_add(table.c.total, new.total)
        peak = func.revbridge_dec_max(table.c.peak, new.peak)
        newer = tuple_(new.latest_time, new.latest_source, new.latest_event_id) > tuple_(
            table.c.latest_time, table.c.latest_source, table.c.latest_event_id)
    newer = and_(new.latest_time.is_not(None), (table.c.latest_time.is_(None)) | newer)
    latest = {name: case((newer, getattr(new, name)), else_=getattr(table.c, name))
              for name in ("latest_time", "latest_source", "latest_event_id", "latest_value")}
    # A row written before the bounds were kept has none, and gets none: its events' times are unknown.
    bounds = {"first_time": case((table.c.first_time.is_(None), None), else_=least(table.c.first_time, new.first_time)),
              "last_time": case((table.c.last_time.is_(None), None), else_=greatest(table.c.last_time, new.last_time))}
    return stmt.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"events": table.c.events + new.events, "total": total, "peak": peak, **latest, **bounds},
    )


# --- reading ----------------------------------------------------------------------------


class Rolled(NamedTuple):
    """One stored rollup row as a query reads it."""

    customer: str
    hour: datetime
    group: str
    value: str
    partial: Partial
    first_time: datetime | None  # the earliest and latest time of its events (None: not kept)
    last_time: datetime | None


def covered(
    conn: Connection, workspace_id: str, meter: Meter, hours: tuple[datetime, datetime], customer_id: str | None,
) -> tuple[int, Iterator[Rolled]] | None:
    """The meter's mark and its rollup rows with ``hours[0] <= hour < hours[1]``, read in
    one statement so they agree; None when the meter has no rollups yet.

    Only the columns the meter's aggregation fills are read: a month is ~720 rows a
    customer and group, read on every quantity.
    """
    r, m = usage_rollups, usage_rollup_marks
    on = [r.c.workspace_id == m.c.workspace_id, r.c.meter_key == m.c.meter_key, r.c.hour >= hours[0],
          r.c.hour < hours[1]]
    if customer_id is not None:
        on.append(r.c.customer_id == customer_id)
    aggregation = meter.aggregation
    values = {Aggregation.SUM: [r.c.total], Aggregation.MAX: [r.c.peak],
              Aggregation.LATEST: [r.c.latest_time, r.c.latest_source, r.c.latest_event_id, r.c.latest_value],
              }.get(aggregation, [])
    columns = [m.c.through_id, r.c.customer_id, r.c.group_key, r.c.value_key, r.c.events, r.c.hour, r.c.first_time,
               r.c.last_time, *values]
    rows = conn.execute(
        select(*columns).select_from(m.outerjoin(r, and_(*on)))
        .where(m.c.workspace_id == workspace_id, m.c.meter_key == meter_key(meter))
    ).all()
    if not rows:
        return None

    def pieces() -> Iterator[Rolled]:
        for row in rows:
            if row[1] is None:
                continue  # the mark alone: no rollup in range
            if aggregation is Aggregation.SUM:
                partial = Partial(row[4], total=row[8])
            elif aggregation is Aggregation.MAX:
                partial = Partial(row[4], peak=row[8])
            elif aggregation is Aggregation.LATEST:
                partial = Partial(row[4], latest=(row[8], row[9], row[10], row[11]))
            else:
                partial = Partial(row[4])
            yield Rolled(row[1], row[5], row[2], row[3], partial, row[6], row[7])

    return int(rows[0][0]), pieces()


@lru_cache(maxsize=4096)
def group_from_text(text: str) -> tuple[str | None, ...]:
    """A stored group key back as the tuple of values (a few distinct keys, read often)."""
    return tuple(json.loads(text))


def forget_before(conn: Connection, workspace_id: str, cutoff: datetime) -> None:
    """Drop the rollups of hours that end by ``cutoff`` (their raw events were purged).

    An hour that ``cutoff`` falls inside keeps its rows: they also hold events after
    the cutoff, which no query would read again without them.
    """
    conn.execute(delete(usage_rollups).where(usage_rollups.c.workspace_id == workspace_id,
                                             usage_rollups.c.hour <= cutoff - HOUR))
