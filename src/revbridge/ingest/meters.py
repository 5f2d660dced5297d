"""Meters over stored events: per customer and half-open period, by window and group.

A quantity is the meter's fold (``ingest.reference``) over the period's events, read in
three parts that never overlap:

* the UTC hours the period touches, from the rollups (``ingest.rollups``), which cover
  every event up to their mark; an hour the period starts or ends inside only when its
  rows' earliest and latest event times are inside the period (a month to date ends in
  the current hour, which holds every customer's newest events);
* the events after that mark (the rollups have not seen them yet);
* the raw events of an edge hour whose rollups could hold events outside the period.

The database only selects; partial aggregates combine in Python in ``Decimal``
(``ingest.partials``), so SQLite and PostgreSQL give the same answer by construction,
and a meter with no rollups yet (or a query grouped by other dimensions) is answered
from the raw events alone, exactly the same, only slower.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, select, union_all, update

from revbridge.catalog.model import Aggregation, Meter
from revbridge.catalog.versions import stored_meters
from revbridge.domain.period import Period
from revbridge.ingest.envelope import UsageEvent
from revbridge.ingest.partials import Partial, finish, group_of, value_key
from revbridge.ingest.reference import UsageKey, Window, takes_part, window_start
from revbridge.ingest.retention import check_not_purged, purged_before
from revbridge.ingest.rollups import HOUR, Rolled, covered, event_columns, event_of, group_from_text
from revbridge.ingest.store import dialect_insert
from revbridge.ingest.tables import billed_periods, usage_event_times, usage_events, usage_key_marks
from revbridge.scope import Scope

_FETCH_BATCH = 5000
Pieces = dict[tuple[UsageKey, str], Partial]  # (key, value_key) -> partial aggregate


def stored_events(
    conn: Connection, workspace_id: str, event_type: str, period: Period, customer_id: str | None = None,
    after_id: int | None = None,
) -> Iterator[UsageEvent]:
    """The stored events of one type in ``[period.start, period.end)`` (with ``id > after_id``
    when given), decoded, streamed."""
    # The events after a rollup mark are a short range of ids at the end of the table;
    # the workspace compared as an expression keeps the planner off the time index,
    # which would walk the whole period's events of every customer to find them.
    workspace = usage_events.c.workspace_id if after_id is None else usage_events.c.workspace_id.concat("")
    where = [
        workspace == workspace_id,
        usage_events.c.type == event_type,
        usage_events.c.time >= period.start,
        usage_events.c.time < period.end,
    ]
    if customer_id is not None:
        where.append(usage_events.c.customer_id == customer_id)
    if after_id is not None:  # bounded on both sides, so PostgreSQL's estimate of the range is a small one
        where += [usage_events.c.id > after_id, usage_events.c.id <= select(func.max(usage_events.c.id)).scalar_subquery()]
        query = select(*event_columns()).where(and_(*where))
    else:
        # The ids first, from the time index alone (it holds the customer after the
        # time), then those rows: an hour holds every customer's events, and reading
        # each row to test its customer would cost a random read per event of the hour.
        ids = _sqlite_ids(workspace_id, event_type, period, customer_id) if conn.dialect.name == "sqlite" else (
            select(usage_events.c.id).where(and_(*where)))
        query = select(*event_columns()).where(usage_events.c.id.in_(ids))
    result = conn.execute(query.execution_options(yield_per=_FETCH_BATCH))
    for row in result:
        yield event_of(*row[1:])  # after the id


def _sqlite_ids(workspace_id: str, event_type: str, period: Period, customer_id: str | None) -> Any:
    """The ids of the period's events on SQLite: from ``usage_event_times`` up to the
    workspace's time mark, and by id range after it (``ingest.keys``), in one statement
    so a merge cannot fall between the two."""
    t, e = usage_event_times, usage_events
    indexed = [t.c.workspace_id == workspace_id, t.c.type == event_type, t.c.time >= period.start,
               t.c.time < period.end]
    mark = func.coalesce(select(usage_key_marks.c.times_through_id).where(
        usage_key_marks.c.workspace_id == workspace_id).scalar_subquery(), 0)
    young = [e.c.id > mark, e.c.workspace_id.concat("") == workspace_id, e.c.type == event_type,
             e.c.time >= period.start, e.c.time < period.end]
    if customer_id is not None:
        indexed.append(t.c.customer_id == customer_id)
        young.append(e.c.customer_id == customer_id)
    return union_all(select(t.c.event_row).where(*indexed), select(e.c.id).where(*young))


def customer_quantity(conn: Connection, workspace_id: str, customer_id: str, meter: Meter, period: Period) -> Decimal | None:
    """One customer's quantity of ``meter`` over ``period`` (see ``reference.quantity``)."""
    pieces = _pieces(conn, workspace_id, meter, period, customer_id, None, None)
    total = finish(meter, ((value, partial) for (_, value), partial in pieces.items()))
    if total is None and meter.aggregation not in (Aggregation.MAX, Aggregation.LATEST):
        return Decimal(0)
    return total


def usage_table(
    conn: Connection,
    workspace_id: str,
    meter: Meter,
    period: Period,
    customer_id: str | None = None,
    window: Window | None = None,
    group_by: Sequence[str] | None = None,
) -> dict[UsageKey, Decimal]:
    """Quantities per (customer, group values, window start) over ``period``."""
    dimensions = None if group_by is None or tuple(group_by) == meter.group_by else tuple(group_by)
    by_key: dict[UsageKey, list[tuple[str, Partial]]] = {}
    for (key, value), partial in _pieces(conn, workspace_id, meter, period, customer_id, window, dimensions).items():
        by_key.setdefault(key, []).append((value, partial))
    table: dict[UsageKey, Decimal] = {}
    for key, pieces in by_key.items():
        quantity = finish(meter, pieces)
        if quantity is not None:
            table[key] = quantity
    return table


def _pieces(
    conn: Connection, workspace_id: str, meter: Meter, period: Period, customer_id: str | None,
    window: Window | None, dimensions: tuple[str, ...] | None,
) -> Pieces:
    """The period's partial aggregates per key: rollups for the hours they cover,
    raw events for the rest (see the module's docstring)."""
    pieces: Pieces = {}
    low, high = window_start(period.start, Window.HOUR), _ceil_hour(period.end)  # every hour the period touches
    found = covered(conn, workspace_id, meter, (low, high), customer_id) if dimensions is None else None

    def raw(span: Period, after_id: int | None = None) -> None:
        events = stored_events(conn, workspace_id, meter.event_type, span, customer_id, after_id)
        _add_events(pieces, meter, events, window, dimensions)

    if found is None:
        raw(period)
        return pieces
    through, rolled = found
    by_hour: dict[datetime, list[Rolled]] = {}
    for row in rolled:
        by_hour.setdefault(row.hour, []).append(row)
    first, last = _ceil_hour(period.start), window_start(period.end, Window.HOUR)  # whole hours: [first, last)
    young_start, young_end = period.start, period.end  # where the events after the mark are read
    for hour, rows in by_hour.items():
        if not first <= hour < last and not _inside(rows, period):
            # An edge hour whose rollups may hold events outside the period: read raw, all of it.
            edge = Period(max(hour, period.start), min(hour + HOUR, period.end))
            raw(edge)
            if hour < first:
                young_start = max(young_start, edge.end)
            else:
                young_end = min(young_end, edge.start)
            continue
        for row in rows:
            key = UsageKey(row.customer, group_from_text(row.group),
                           window_start(row.hour, window) if window is not None else None)
            mine = pieces.get((key, row.value))
            if mine is None:
                pieces[(key, row.value)] = row.partial
            else:
                mine.merge(row.partial)
    if young_start < young_end:
        raw(Period(young_start, young_end), after_id=through)
    return pieces


def _inside(rows: list[Rolled], period: Period) -> bool:
    """Whether every event these rollup rows hold is known to be inside ``period``."""
    return all(row.first_time is not None and row.last_time is not None and period.start <= row.first_time
               and row.last_time < period.end for row in rows)


def _add_events(
    pieces: Pieces, meter: Meter, events: Iterable[UsageEvent], window: Window | None,
    dimensions: tuple[str, ...] | None,
) -> None:
    for event in events:
        if not takes_part(meter, event):
            continue
        key = UsageKey(event.customer_id, group_of(meter, event, dimensions),
                       None if window is None else window_start(event.time, window))
        partial = pieces.get((key, value_key(meter, event)))
        if partial is None:
            partial = pieces[(key, value_key(meter, event))] = Partial()
        partial.add_event(meter, event)


def _ceil_hour(moment: datetime) -> datetime:
    floor = window_start(moment, Window.HOUR)
    return floor if floor == moment else floor + HOUR


class SqlUsage:
    """The ``UsageSource`` billing reads, bound to the billing transaction's connection."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.conn = scope.conn
        self._purged_before: tuple[datetime | None] | None = None

    def quantity(self, workspace_id: str, customer_id: str, meter: Meter, period: Period) -> Decimal | None:
        if self._purged_before is None:
            self._purged_before = (purged_before(self.scope),)  # read once per billing transaction
        check_not_purged(period.start, self._purged_before[0])
        return customer_quantity(self.conn, workspace_id, customer_id, meter, period)

    def mark_billed(self, workspace_id: str, customer_id: str, meter_codes: Sequence[str], period: Period) -> None:
        """Remember the billed period per meter, and clear the late flag of what it now covers."""
        assert workspace_id == self.scope.workspace_id, "a usage source serves its own workspace only"
        meters = stored_meters(self.scope)
        types = {code: meters[code].meter.event_type for code in meter_codes}
        for code in meter_codes:
            stmt = dialect_insert(self.conn)(billed_periods).values(
                workspace_id=workspace_id, customer_id=customer_id, meter_code=code, period_start=period.start,
                period_end=period.end, event_type=types[code], billed_at=self.scope.now,
            ).on_conflict_do_nothing()
            self.conn.execute(stmt)
        self.conn.execute(
            update(usage_events)
            .where(
                usage_events.c.workspace_id == workspace_id,
                usage_events.c.customer_id == customer_id,
                usage_events.c.type.in_(sorted(set(types.values()))),
                usage_events.c.time >= period.start,
                usage_events.c.time < period.end,
                usage_events.c.late,  # as the partial index on late events reads
            )
            .values(late=False)
        )

