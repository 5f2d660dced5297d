"""Meters over stored events: per customer and half-open period, by window and group.

The database only selects (one workspace, one event type, a time range, optionally one
customer, through the (workspace, customer, type, time) index); the folding is the
reference implementation in ``ingest.reference``. So SQLite and PostgreSQL give the same
answer by construction, exactly, in ``Decimal`` — a SQL ``SUM`` over text decimals on
SQLite would go through floats. One customer's month is a short index range, which is
what billing and drill-back ask for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, select, update

from revbridge.catalog.model import Meter
from revbridge.catalog.versions import stored_meters
from revbridge.domain.period import Period
from revbridge.ingest.envelope import UsageEvent
from revbridge.ingest.reference import UsageKey, Window, aggregate, quantity
from revbridge.ingest.retention import check_not_purged, purged_before
from revbridge.ingest.store import dialect_insert
from revbridge.ingest.tables import billed_periods, usage_events
from revbridge.scope import Scope

_FETCH_BATCH = 5000


def _event(row: Any) -> UsageEvent:
    doc = json.loads(row.payload, parse_float=Decimal)
    return UsageEvent(
        source=row.source, id=row.event_id, type=row.type, subject=doc.get("subject", ""),
        customer_id=row.customer_id, time=row.time, data=doc.get("data") or {}, extensions={},
        digest=row.digest, payload=row.payload,
    )


def stored_events(
    conn: Connection, workspace_id: str, event_type: str, period: Period, customer_id: str | None = None
) -> Iterator[UsageEvent]:
    """The stored events of one type in ``[period.start, period.end)``, decoded, streamed."""
    where = [
        usage_events.c.workspace_id == workspace_id,
        usage_events.c.type == event_type,
        usage_events.c.time >= period.start,
        usage_events.c.time < period.end,
    ]
    if customer_id is not None:
        where.append(usage_events.c.customer_id == customer_id)
    columns = [usage_events.c[n] for n in ("source", "event_id", "type", "customer_id", "time", "digest", "payload")]
    result = conn.execute(select(*columns).where(and_(*where)).execution_options(yield_per=_FETCH_BATCH))
    for row in result:
        yield _event(row)


def customer_quantity(conn: Connection, workspace_id: str, customer_id: str, meter: Meter, period: Period) -> Decimal | None:
    """One customer's quantity of ``meter`` over ``period`` (see ``reference.quantity``)."""
    return quantity(meter, stored_events(conn, workspace_id, meter.event_type, period, customer_id), period, customer_id)


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
    events = stored_events(conn, workspace_id, meter.event_type, period, customer_id)
    return aggregate(meter, events, period, window=window, group_by=group_by)


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
                usage_events.c.late.is_(True),
            )
            .values(late=False)
        )

