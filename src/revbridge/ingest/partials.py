"""Partial aggregates: a meter's fold split into pieces that combine exactly.

Rollups keep one ``Partial`` per meter, customer, hour and group; a query adds the
events the rollups do not cover yet. For that to give the reference answer
(``ingest.reference``), every aggregation must be associative over pieces:

* count and sum add (sums in an exact context: no rounding at any size);
* max keeps the greater;
* latest keeps the value of the greatest ``(time, source, id)``, the reference's
  tie-break, so the order pieces are combined in never matters;
* unique count cannot be added, so its pieces are kept per counted value
  (``value_key``): the quantity is the number of distinct value keys.

Everything here is pure; ``tests/ingest/test_partials.py`` checks on random events and
random splits that combining pieces gives the reference's quantities.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from revbridge.catalog.model import Aggregation, Meter
from revbridge.ingest.envelope import UsageEvent
from revbridge.ingest.reference import _EXACT, group_value, key_text, number

Latest = tuple[datetime, str, str, Decimal]  # (time, source, id, value)


@dataclass(slots=True)
class Partial:
    """One piece of a key's aggregate; which fields are set depends on the aggregation."""

    events: int = 0
    total: Decimal | None = None
    peak: Decimal | None = None
    latest: Latest | None = None

    def add_event(self, meter: Meter, event: UsageEvent) -> None:
        """Fold in one event that takes part (``reference.takes_part``)."""
        self.events += 1
        aggregation = meter.aggregation
        if aggregation is Aggregation.COUNT or aggregation is Aggregation.UNIQUE_COUNT:
            return
        value = number(event.data[meter.value_property or ""])
        if aggregation is Aggregation.SUM:
            self.total = value if self.total is None else _EXACT.add(self.total, value)
        elif aggregation is Aggregation.MAX:
            self.peak = value if self.peak is None or value > self.peak else self.peak
        else:
            candidate = (event.time, event.source, event.id, value)
            if self.latest is None or candidate[:3] > self.latest[:3]:
                self.latest = candidate

    def merge(self, other: Partial) -> None:
        """Combine another piece of the same key into this one."""
        self.events += other.events
        if other.total is not None:
            self.total = other.total if self.total is None else _EXACT.add(self.total, other.total)
        if other.peak is not None and (self.peak is None or other.peak > self.peak):
            self.peak = other.peak
        if other.latest is not None and (self.latest is None or other.latest[:3] > self.latest[:3]):
            self.latest = other.latest


def value_key(meter: Meter, event: UsageEvent) -> str:
    """The counted value's text for a unique-count meter, else ``""``."""
    if meter.aggregation is Aggregation.UNIQUE_COUNT:
        return key_text(event.data[meter.value_property or ""])
    return ""


def group_of(meter: Meter, event: UsageEvent, dimensions: tuple[str, ...] | None = None) -> tuple[str | None, ...]:
    """The event's group-by values (the meter's own dimensions unless given)."""
    names = meter.group_by if dimensions is None else dimensions
    return tuple(group_value(event.data, d) for d in names)


def finish(meter: Meter, pieces: Iterable[tuple[str, Partial]]) -> Decimal | None:
    """One key's quantity from its ``(value_key, partial)`` pieces; None when nothing took part."""
    merged = Partial()
    values: set[str] = set()
    for value, piece in pieces:
        if piece.events:
            merged.merge(piece)
            values.add(value)
    if not merged.events:
        return None
    aggregation = meter.aggregation
    if aggregation is Aggregation.COUNT:
        return Decimal(merged.events)
    if aggregation is Aggregation.UNIQUE_COUNT:
        return Decimal(len(values))
    if aggregation is Aggregation.SUM:  # from 0, as the reference sums: the same spelling
        return _EXACT.add(Decimal(0), merged.total or Decimal(0))
    if aggregation is Aggregation.MAX:
        return merged.peak
    assert merged.latest is not None
    return merged.latest[3]
