"""Accepted events as the store writes them: one flat list, row after row.

A file import stores a million events, and every Python object made per event in the
storing process costs it time SQLite does not spend: a struct decoded from the
validating process, a tuple of its columns, the tuple's flattening into a statement's
parameters. ``EventRows`` keeps a batch as one list of ``WIDTH`` fields per event,
built where the events are validated (``ingest.handover``, the other process for an
import). A statement's parameters are then a slice of that list and a column a slice
with a step, both copied in C.

Times are kept as the text ``UTCDateTime`` stores on SQLite (``instant_texts``): fixed
width, so text order is time order, and PostgreSQL reads the same text as
``timestamptz``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any

import msgspec

from revbridge.store.types import sqlite_instant

if TYPE_CHECKING:
    from revbridge.ingest.envelope import Fields, UsageEvent

WIDTH = 8  # fields per event, in this order:
SOURCE, EVENT_ID, TYPE, CUSTOMER, TIME, DIGEST, PAYLOAD, KEY_HASH = range(WIDTH)

Row = list[Any]  # one event's WIDTH fields, indexed by the names above


class EventRows:
    """Accepted events, ``WIDTH`` fields each, in one flat list (``flat``)."""

    __slots__ = ("flat",)

    def __init__(self, flat: list[Any] | None = None) -> None:
        if flat is not None and len(flat) % WIDTH:
            raise ValueError(f"a flat list of event rows holds a multiple of {WIDTH} fields, not {len(flat)}")
        self.flat: list[Any] = [] if flat is None else flat

    @classmethod
    def of_accepted(cls, accepted: Sequence[UsageEvent] | EventRows) -> EventRows:
        """A batch's accepted events as rows: as they are if they came as rows."""
        return accepted if isinstance(accepted, EventRows) else cls.of(accepted)

    @classmethod
    def of(cls, events: Sequence[UsageEvent]) -> EventRows:
        """The rows of validated events."""
        return cls.of_fields([(e.source, e.id, e.type, e.customer_id, e.time, e.digest, e.payload, e.key_hash)
                              for e in events])

    @classmethod
    def of_fields(cls, fields: Sequence[Fields]) -> EventRows:
        """The rows of events accepted as their fields (``envelope.Fields``), times made stored text."""
        flat = list(chain.from_iterable(fields))
        flat[TIME::WIDTH] = instant_texts(flat[TIME::WIDTH])
        return cls(flat)

    def __len__(self) -> int:
        return len(self.flat) // WIDTH

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EventRows) and self.flat == other.flat

    __hash__ = None  # type: ignore[assignment]  # mutable, like the list it holds

    def __iter__(self) -> Iterator[Row]:
        flat = self.flat
        return (flat[start:start + WIDTH] for start in range(0, len(flat), WIDTH))

    def column(self, field: int) -> list[Any]:
        return self.flat[field::WIDTH]

    def dedup_keys(self) -> list[tuple[str, str]]:
        """Each event's dedup key, (source, id)."""
        return list(zip(self.flat[SOURCE::WIDTH], self.flat[EVENT_ID::WIDTH], strict=True))

    def row(self, index: int) -> Row:
        return self.flat[index * WIDTH:(index + 1) * WIDTH]

    def take(self, indexes: Iterable[int]) -> EventRows:
        """The rows at ``indexes``, in that order."""
        return EventRows(list(chain.from_iterable(map(self.row, indexes))))

    def extend(self, other: EventRows) -> None:
        self.flat.extend(other.flat)


def instant_texts(moments: list[datetime]) -> list[str]:
    """``sqlite_instant`` of each instant, formatted by msgspec in one call.

    ``datetime.isoformat`` costs several microseconds an instant, a measurable share
    of an insert. msgspec writes a UTC instant as ``...T11:00:00.000120Z``, or without
    the fraction when it is zero: the same text once the fraction is put back. Any
    other offset (the envelope gives none) takes the slow way.
    """
    if not moments:
        return []
    texts = _ENCODE(moments).decode()[2:-2].split('","')  # an instant's text holds no quote
    return [
        text if len(text) == _WITH_FRACTION else text[:-1] + ".000000Z" if len(text) == _WHOLE_SECOND
        else sqlite_instant(moment)
        for text, moment in zip(texts, moments, strict=True)
    ]


_ENCODE = msgspec.json.encode
_WITH_FRACTION = len("2025-03-01T11:00:00.000000Z")
_WHOLE_SECOND = len("2025-03-01T11:00:00Z")

__all__ = ["CUSTOMER", "DIGEST", "EVENT_ID", "KEY_HASH", "PAYLOAD", "SOURCE", "TIME", "TYPE", "WIDTH", "EventRows",
           "Row", "instant_texts"]
