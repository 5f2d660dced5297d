"""What billing asks of usage: a period's quantity per customer and meter, and its trace.

Billing reads usage through ``UsageSource`` only, so the rating code does not care
whether events sit in SQLite, PostgreSQL or ClickHouse, and tests can hand it events in
memory. Every quantity a bill uses has a correlation id (``usage_correlation_id``) that
``revbridge trace`` follows back to the events, and ``mark_billed`` tells the usage
store which periods are invoiced, so an event that arrives later for one of them is
flagged as late usage for the next billing run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from revbridge.catalog.model import Meter
from revbridge.domain.period import Period
from revbridge.ingest.envelope import UsageEvent
from revbridge.ingest.reference import quantity as reference_quantity


def usage_correlation_id(customer_id: str, meter_code: str, period: Period) -> str:
    """The id an invoice line carries to lead back to the usage it rated."""
    return f"usage:{customer_id}:{meter_code}:{period.start.strftime('%Y%m%dT%H%M%SZ')}:{period.end.strftime('%Y%m%dT%H%M%SZ')}"


class UsageSource(Protocol):
    def quantity(self, workspace_id: str, customer_id: str, meter: Meter, period: Period) -> Decimal | None:
        """The meter's aggregate over ``[period.start, period.end)``: 0 for count, sum and
        unique count with no events; ``None`` for max and latest with no events."""

    def mark_billed(self, workspace_id: str, customer_id: str, meter_codes: Sequence[str], period: Period) -> None:
        """Record that ``period`` has been invoiced for these meters (late events get flagged)."""


@dataclass
class InMemoryUsage:
    """A ``UsageSource`` over events held in memory, for tests and previews."""

    events: list[UsageEvent] = field(default_factory=list)
    billed: set[tuple[str, str, str, Period]] = field(default_factory=set)

    def add(self, events: Iterable[UsageEvent]) -> None:
        self.events.extend(events)

    def quantity(self, workspace_id: str, customer_id: str, meter: Meter, period: Period) -> Decimal | None:
        return reference_quantity(meter, self.events, period, customer_id)

    def mark_billed(self, workspace_id: str, customer_id: str, meter_codes: Sequence[str], period: Period) -> None:
        for code in meter_codes:
            self.billed.add((workspace_id, customer_id, code, period))
