"""The reference meter aggregation: plain Python over a list of events, obviously right.

The usage store aggregates in SQL (SQLite, PostgreSQL, ClickHouse); property tests
check every backend against this module, so the semantics are defined here, once:

Selection. An event counts for ``meter`` in ``period`` when all hold:

* ``event.type == meter.event_type``;
* ``period.start <= event.time < period.end``: the start is included, the end
  excluded, so an event exactly on a boundary belongs to the later period only;
* every filter of the meter matches ``event.data`` (``Filter.matches``: values compare
  as text, JSON booleans as ``true``/``false``).

Value. ``count`` needs none. ``sum``, ``max`` and ``latest`` read
``data[meter.value_property]`` as a ``Decimal`` (ingest stores them so; an ``int`` is
taken as its exact value); ``unique_count`` reads a string or integer and compares its
text, so ``42`` and ``"42"`` are one value. An event whose value is absent or null takes
no part in these four, exactly as if a filter had removed it (SQL aggregates skip
NULL). Any other value raises ``TypeError``: ingest never stores one.

Grouping. Quantities are per key ``(customer_id, group, window_start)``:

* ``group`` holds, for each ``group_by`` property (the meter's own unless given), the
  value's text as filters see it, or ``None`` when absent or null;
* ``window_start`` is ``None`` without a window, else the start of the UTC hour, day or
  calendar month holding the event. Windows are not clipped: with a period that does not
  start on a window boundary, the first window's key lies before ``period.start`` but
  counts only the period's events.

Quantities, per key, as ``Decimal`` (compare by value, not by spelling):

* ``count``: the number of selected events;
* ``sum``: their exact sum (no rounding at any size);
* ``max``: the greatest value;
* ``unique_count``: the number of distinct values;
* ``latest``: the value of the event with the greatest ``(time, source, id)``, so ties
  in time are broken by source, then id, the same way on every backend.

Only keys with at least one taking-part event appear. ``quantity`` gives one customer's
total over the period with the empty cases spelled out: ``0`` for count, sum and
unique count; ``None`` (no usage) for max and latest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Context, Decimal, Inexact
from enum import Enum
from typing import Any, NamedTuple

from revbridge.catalog.model import Aggregation, Meter
from revbridge.domain.period import Period
from revbridge.ingest.envelope import UsageEvent

# Sums never round: a precision far beyond any realistic total, and rounding trapped.
_EXACT = Context(prec=200, traps=[Inexact])


class Window(str, Enum):
    """Fixed UTC windows a period's usage can be split into."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


class UsageKey(NamedTuple):
    """Whose usage, which group-by values, which window (``None`` when not split)."""

    customer_id: str
    group: tuple[str | None, ...]
    window_start: datetime | None


def aggregate(
    meter: Meter,
    events: Iterable[UsageEvent],
    period: Period,
    *,
    window: Window | None = None,
    group_by: Sequence[str] | None = None,
) -> dict[UsageKey, Decimal]:
    """Quantities per key for the events ``meter`` selects in ``period``."""
    dimensions = tuple(meter.group_by if group_by is None else group_by)
    buckets: dict[UsageKey, list[UsageEvent]] = {}
    for event in _selected(meter, events, period):
        key = UsageKey(
            event.customer_id,
            tuple(group_value(event.data, d) for d in dimensions),
            None if window is None else window_start(event.time, window),
        )
        buckets.setdefault(key, []).append(event)
    return {key: _fold(meter, bucket) for key, bucket in buckets.items()}


def quantity(
    meter: Meter, events: Iterable[UsageEvent], period: Period, customer_id: str
) -> Decimal | None:
    """One customer's total for the period; ``0`` or ``None`` when there is no usage."""
    mine = [e for e in _selected(meter, events, period) if e.customer_id == customer_id]
    if mine:
        return _fold(meter, mine)
    return None if meter.aggregation in (Aggregation.MAX, Aggregation.LATEST) else Decimal(0)


def window_start(moment: datetime, window: Window) -> datetime:
    """The start of the UTC hour, day or month holding ``moment``."""
    moment = moment.astimezone(UTC)
    if window is Window.HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    if window is Window.DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def group_value(data: dict[str, Any], name: str) -> str | None:
    """A group-by value as filters compare it: text, booleans as ``true``/``false``."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def takes_part(meter: Meter, event: UsageEvent) -> bool:
    """Whether ``event`` counts for ``meter`` at all, whatever the period: its type, the
    meter's filters, and (for all but count) a value present."""
    if event.type != meter.event_type or not all(f.matches(event.data) for f in meter.filters):
        return False
    return meter.aggregation is Aggregation.COUNT or event.data.get(meter.value_property or "") is not None


def _selected(meter: Meter, events: Iterable[UsageEvent], period: Period) -> Iterable[UsageEvent]:
    for event in events:
        if event.time in period and takes_part(meter, event):
            yield event


def _fold(meter: Meter, events: list[UsageEvent]) -> Decimal:
    """One key's quantity; ``events`` is never empty."""
    aggregation = meter.aggregation
    if aggregation is Aggregation.COUNT:
        return Decimal(len(events))
    prop = meter.value_property or ""
    if aggregation is Aggregation.UNIQUE_COUNT:
        return Decimal(len({key_text(e.data[prop]) for e in events}))
    if aggregation is Aggregation.LATEST:
        last = max(events, key=lambda e: (e.time, e.source, e.id))
        return number(last.data[prop])
    values = [number(e.data[prop]) for e in events]
    if aggregation is Aggregation.MAX:
        return max(values)
    total = Decimal(0)
    for value in values:
        total = _EXACT.add(total, value)
    return total


def number(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"expected a Decimal quantity, got {type(value).__name__}")


def key_text(value: Any) -> str:
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    raise TypeError(f"expected a string or integer to count, got {type(value).__name__}")
