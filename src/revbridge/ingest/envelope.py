"""CloudEvents 1.0 usage events: from untrusted JSON to accepted events and rejections.

This is the pure half of ingestion. It reads bytes (an HTTP body, a line of a file) or
already-parsed records (CSV and Parquet rows), checks each event against the CloudEvents
envelope, the clock window and the catalog, and returns two lists: ``UsageEvent``
values ready for the usage store, and ``Rejection`` values that keep the event's raw
text and every problem found, so a person can fix it and replay it. It touches no
storage and reads no clock: the customer lookup and ``now`` are passed in.

A body is refused as a whole only when it cannot be read safely (see ``limits`` and
``safejson``). Otherwise every event stands on its own: one bad event never costs the
good ones their place, and every problem of a bad event is reported at once, each with
its field (``events[12].time``), reason and value.

Deduplication is the store's job, helped by ``UsageEvent.digest``: the SHA-256 of the
event's canonical JSON (sorted keys, time in UTC, meter quantities canonical), so the
same ``(source, id)`` with the same digest is a redelivery, and with another digest a
conflict. Number spelling outside meter quantities is kept as sent and counts in the
digest (``2`` and ``2.0`` in a property no meter reads are different payloads).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

import msgspec
from msgspec import UNSET

from revbridge.catalog.model import Aggregation, Filter, Meter
from revbridge.domain.period import check_aware
from revbridge.errors import Problem
from revbridge.ingest.limits import (
    DEFAULT_LIMITS,
    BatchTooLarge,
    BodyTooLarge,
    IngestLimits,
    MalformedBody,
    UnsupportedMediaType,
)
from revbridge.ingest.quantity import MAX_MAGNITUDE, parse_quantity
from revbridge.ingest.rows import EventRows
from revbridge.ingest.safejson import decode_document, decode_sound, split_items
from revbridge.ingest.typed import MAX_TIME_TEXT, decode_body, decode_lines, parse_times

SINGLE_MEDIA_TYPE = "application/cloudevents+json"
BATCH_MEDIA_TYPE = "application/cloudevents-batch+json"

# The attributes revbridge interprets; every other one is kept as an extension.
CORE_ATTRIBUTES = frozenset({"specversion", "id", "source", "type", "subject", "time", "data"})

CustomerLookup = Callable[[str], "str | None"]

_TIME = msgspec.json.Decoder(datetime)  # strict RFC 3339, parsed in C
_QUOTE = msgspec.json.encode
_CANONICAL = msgspec.json.Encoder(order="sorted", decimal_format="number")
_RAW = msgspec.json.Encoder(decimal_format="number", enc_hook=str)
_sha256 = hashlib.sha256
# Copying a ready 8-byte BLAKE2b and unpacking with a compiled struct costs 40% less than
# building one with keyword arguments and ``int.from_bytes``: this runs once per event.
_BLAKE2B_8 = hashlib.blake2b(digest_size=8)
_SIGNED_64 = struct.Struct(">q").unpack


def key_hash(source: str, event_id: str) -> int:
    """The signed 64-bit hash of an event's dedup key (source, id), as the store keeps it:
    the first 8 bytes of BLAKE2b-64 of ``source``, unit separator, ``id``, big-endian."""
    hasher = _BLAKE2B_8.copy()
    hasher.update(f"{source}\x1f{event_id}".encode("utf-8", "surrogatepass"))
    return _SIGNED_64(hasher.digest())[0]  # type: ignore[no-any-return]


class UsageEvent(msgspec.Struct, frozen=True, gc=False):
    """One accepted usage event, not yet bound to a workspace: what the store keeps.

    ``time`` is a UTC instant. ``data`` holds the event's data with each meter's value
    property as an exact ``Decimal``. ``extensions`` holds every attribute besides the
    core ones (``datacontenttype``, ``dataschema`` and CloudEvents extensions) as sent.
    ``payload`` is the canonical JSON that ``digest`` (hex SHA-256) covers: store it as
    the raw event, so drill-back and replay show what was billed.

    ``gc=False``: an event never takes part in a reference cycle, and leaving thousands
    per batch out of the cycle collector's sweeps saves a measurable share of ingest time.
    """

    source: str
    id: str
    type: str
    subject: str
    customer_id: str
    time: datetime
    data: dict[str, Any]
    extensions: dict[str, Any]
    digest: str
    payload: bytes

    @property
    def key_hash(self) -> int:
        return key_hash(self.source, self.id)


Fields = tuple[str, str, str, str, datetime, str, bytes, int]  # an accepted event as ``ingest.rows`` keeps it
Accepted = UsageEvent | Fields  # what the checker accepts an event as: whole, or only what the store writes


@dataclass(frozen=True)
class Rejection:
    """An event that was not accepted, kept whole so it can be fixed and replayed.

    ``index`` is its place in the batch (or in the records passed in), ``source`` its
    ``file:line`` when it came from a file, ``raw`` its text as received.
    """

    index: int
    event_id: str | None
    raw: str
    problems: tuple[Problem, ...]
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "event_id": self.event_id}
        if self.source:
            out["source"] = self.source
        out["problems"] = [p.as_dict() for p in self.problems]
        return out


@dataclass(frozen=True)
class IngestResult:
    """What became of a batch: every event received is in exactly one of the two lists."""

    accepted: Sequence[UsageEvent] | EventRows  # rows: only what the store writes (``ingest_records``' rows)
    rejected: list[Rejection]

    @property
    def received(self) -> int:
        return len(self.accepted) + len(self.rejected)


class RawRecord(NamedTuple):
    """One event as a file reader found it: JSON text, or a record built from columns.

    ``source`` is ``file:line`` (or ``file:row``); ``problems`` are what the reader
    already saw (a numeric column that is not a number), reported with the rest.
    """

    payload: bytes | dict[str, Any]
    source: str
    problems: tuple[Problem, ...] = ()


class Need(str, Enum):
    """What a meter needs from its value property."""

    NUMBER = "number"  # sum, max, latest: an exact quantity
    KEY = "key"  # unique_count: a string or integer whose distinct values are counted


@dataclass(frozen=True)
class Requirement:
    """A data property some meters of an event type need, and when they need it.

    A meter with filters needs its property only from the events it would count, so an
    event that no such meter counts may omit it. ``when`` lists each meter's filters;
    the requirement applies if every filter of any one of them matches (``always``
    when some meter has no filter).
    """

    property: str
    need: Need
    meters: tuple[str, ...]
    when: tuple[tuple[Filter, ...], ...]
    always: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "always", any(not filters for filters in self.when))

    def applies(self, data: dict[str, Any]) -> bool:
        return self.always or any(all(f.matches(data) for f in fs) for fs in self.when)

    def describe(self) -> str:
        return "meter " + ", ".join(self.meters)


_NEEDS = {
    Aggregation.SUM: Need.NUMBER,
    Aggregation.MAX: Need.NUMBER,
    Aggregation.LATEST: Need.NUMBER,
    Aggregation.UNIQUE_COUNT: Need.KEY,
}


@dataclass(frozen=True)
class EventRules:
    """The event types ingest accepts and what their data must hold.

    Built from the catalog's meters (a type is known when a meter reads it) plus an
    explicit allow-list for types kept before any meter reads them.
    """

    by_type: Mapping[str, tuple[Requirement, ...]]

    @classmethod
    def from_meters(cls, meters: Iterable[Meter], allowed_types: Iterable[str] = ()) -> EventRules:
        grouped: dict[str, dict[tuple[str, Need], list[Meter]]] = {t: {} for t in allowed_types}
        for meter in meters:
            needs = grouped.setdefault(meter.event_type, {})
            need = _NEEDS.get(meter.aggregation)
            if need is None:
                continue
            if not meter.value_property:
                raise ValueError(f"meter {meter.code}: {meter.aggregation.value} needs a value_property")
            needs.setdefault((meter.value_property, need), []).append(meter)
        return cls({t: _requirements(needs) for t, needs in grouped.items()})


def _requirements(needs: dict[tuple[str, Need], list[Meter]]) -> tuple[Requirement, ...]:
    return tuple(
        Requirement(prop, need, tuple(m.code for m in ms), tuple(m.filters for m in ms))
        for (prop, need), ms in needs.items()
    )


def is_batch_media_type(content_type: str) -> bool:
    """Whether a ``Content-Type`` announces a batch; ``UnsupportedMediaType`` if neither."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == BATCH_MEDIA_TYPE:
        return True
    if media_type == SINGLE_MEDIA_TYPE:
        return False
    raise UnsupportedMediaType(content_type)


def ingest_body(
    body: bytes,
    content_type: str,
    *,
    rules: EventRules,
    customer_of: CustomerLookup,
    now: datetime,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> IngestResult:
    """Validate an HTTP body: one event or a batch, by ``content_type``.

    Raises ``UnsupportedMediaType`` (415), ``BodyTooLarge`` or ``BatchTooLarge`` (413)
    or ``MalformedBody`` (422) when the body is refused as a whole; otherwise returns
    each event accepted or rejected. Batch problems are named ``events[i].field``.
    """
    batch = is_batch_media_type(content_type)
    checker = _Checker(rules, customer_of, now, limits)
    texts = _LazyTexts(body, batch)
    typed = decode_body(body, batch, limits)
    if typed is not None:
        return checker.judge_typed(typed, lambda: decode_sound(body) if batch else [decode_sound(body)],
                                   texts, batch)
    events = _events_of(decode_document(body, limits, batch=batch), batch, limits)
    accepted: list[UsageEvent] = []
    rejected: list[Rejection] = []
    for index, event in enumerate(events):
        outcome = checker.check(event)
        if isinstance(outcome, UsageEvent):
            accepted.append(outcome)
        else:
            prefix = f"events[{index}]" if batch else ""
            rejected.append(checker.reject(index, event, texts(index), outcome, prefix, None))
    return IngestResult(accepted, rejected)


def ingest_records(
    records: Iterable[RawRecord],
    *,
    rules: EventRules,
    customer_of: CustomerLookup,
    now: datetime,
    limits: IngestLimits = DEFAULT_LIMITS,
    rows: bool = False,
) -> IngestResult:
    """Validate events read from a file, one record at a time.

    Unlike a body, a record that is not valid JSON is just one rejection: an import
    never stops at a bad line. Problems carry the record's ``file:line`` as ``source``.
    Lines of JSON the typed path vouches for are accepted there; every other record,
    and every event that path leaves, is judged one by one as below. ``rows``: accept
    them as the ``EventRows`` the store writes, for a caller that only stores them.
    """
    checker = _Checker(rules, customer_of, now, limits, rows)
    records = records if isinstance(records, list) else list(records)
    fast = checker.accept_lines(records)
    accepted: list[Accepted] = []
    rejected: list[Rejection] = []
    for index, record in enumerate(records):
        if fast[index] is not None:
            accepted.append(fast[index])  # type: ignore[arg-type]
            continue
        event, found = _read_record(record, limits)
        if event is not None:
            outcome = checker.check(event)
            if not isinstance(outcome, list) and not found:
                accepted.append(outcome)
                continue
            if isinstance(outcome, list):  # what the reader reported already is not repeated
                seen = {field for field, _, _ in found}
                found.extend(item for item in outcome if item[0] not in seen)
        rejected.append(checker.reject(index, event, _record_text(record), found, "", record.source))
    if rows:
        return IngestResult(EventRows.of_fields(accepted), rejected)  # type: ignore[arg-type]
    return IngestResult(accepted, rejected)  # type: ignore[arg-type]


def validate_events(
    events: Sequence[Any],
    *,
    rules: EventRules,
    customer_of: CustomerLookup,
    now: datetime,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> IngestResult:
    """Validate events already decoded (e.g. by a test or another transport).

    Problems are named ``events[i].field``; a rejection's raw text is the event
    re-encoded, since the original bytes are not at hand.
    """
    checker = _Checker(rules, customer_of, now, limits)
    accepted: list[UsageEvent] = []
    rejected: list[Rejection] = []
    for index, event in enumerate(events):
        outcome = checker.check(event)
        if isinstance(outcome, UsageEvent):
            accepted.append(outcome)
        else:
            text = _RAW.encode(event).decode()
            rejected.append(checker.reject(index, event, text, outcome, f"events[{index}]", None))
    return IngestResult(accepted, rejected)


# --- reading the body and records ------------------------------------------------------


def _events_of(document: Any, batch: bool, limits: IngestLimits) -> list[Any]:
    if not batch:
        if type(document) is not dict:
            raise MalformedBody([Problem("body", "expected one JSON object (an event)")])
        return [document]
    if type(document) is not list:
        raise MalformedBody([Problem("body", "expected a JSON array of events")])
    if len(document) > limits.max_batch_events:
        raise BatchTooLarge(len(document), limits.max_batch_events)
    return document


class _LazyTexts:
    """Each event's raw text, split from the body only if some event is rejected."""

    def __init__(self, body: bytes, batch: bool) -> None:
        self._body = body
        self._batch = batch
        self._items: list[str] | None = None

    def __call__(self, index: int) -> str:
        if not self._batch:
            return self._body.decode()
        if self._items is None:
            self._items = split_items(self._body)
        return self._items[index]


_Found = tuple[str, str, Any]  # (field, reason, value), made into a Problem on rejection
_REFUSED = object()  # a needed property's value that cannot be kept


def _read_record(record: RawRecord, limits: IngestLimits) -> tuple[Any, list[_Found]]:
    found: list[_Found] = [(p.field, p.reason, p.value) for p in record.problems]
    if not isinstance(record.payload, bytes):
        return record.payload, found
    if found:  # the reader could not read these bytes whole; decoding them adds nothing
        return None, found
    try:
        return decode_document(record.payload, limits, batch=False, field="event"), found
    except (MalformedBody, BodyTooLarge) as refused:
        found.extend((p.field, p.reason, p.value) for p in refused.problems)
        return None, found


def _record_text(record: RawRecord) -> str:
    if isinstance(record.payload, bytes):
        return record.payload.decode(errors="replace")
    return _RAW.encode(record.payload).decode()


# --- checking one event ------------------------------------------------------------------


class _Checker:
    """Checks events one by one against fixed rules, clock window and limits.

    Written for the hot path: problems are collected as plain tuples and turned into
    ``Problem`` values only for events that are rejected.
    """

    def __init__(
        self,
        rules: EventRules,
        customer_of: CustomerLookup,
        now: datetime,
        limits: IngestLimits,
        rows: bool = False,
    ) -> None:
        now = check_aware(now, "now")
        self.rows = rows  # accept as ``Fields``: what the store writes, and no more
        self.by_type = rules.by_type
        self.customer_of = customer_of
        self.limits = limits
        self.max_string = limits.max_string_length
        self.max_properties = limits.max_data_properties
        self.earliest = now - limits.max_lateness
        self.latest = now + limits.max_future

    # --- the typed fast path (see ``typed``) -----------------------------------------

    def judge_typed(
        self, typed: list[Any], plain: Callable[[], list[Any]], texts: Callable[[int], str], batch: bool
    ) -> IngestResult:
        """Outcomes of a body's typed events; the precise check judges any it cannot accept.

        ``plain`` decodes the body as the precise path does, called only if some event
        needs that check.
        """
        accepted: list[UsageEvent] = []
        rejected: list[Rejection] = []
        events: list[Any] | None = None
        for index, (typed_event, moment) in enumerate(zip(typed, parse_times(typed), strict=True)):
            outcome: UsageEvent | list[_Found] | None = self.accept(typed_event, moment)
            if outcome is None:
                events = plain() if events is None else events
                outcome = self.check(events[index])
            if isinstance(outcome, UsageEvent):
                accepted.append(outcome)
            else:
                prefix = f"events[{index}]" if batch else ""
                rejected.append(self.reject(index, events[index], texts(index), outcome, prefix, None))  # type: ignore[index]
        return IngestResult(accepted, rejected)

    def accept_lines(self, records: Sequence[RawRecord]) -> list[Accepted | None]:
        """Each record accepted by the typed path, or None where the precise path must judge it."""
        places = [i for i, r in enumerate(records) if type(r.payload) is bytes and not r.problems]
        out: list[Accepted | None] = [None] * len(records)
        if not places:
            return out
        decoded = decode_lines([records[i].payload for i in places], self.limits)  # type: ignore[misc]
        typed = [(i, e) for i, e in zip(places, decoded, strict=True) if e is not None]
        for (index, typed_event), moment in zip(typed, parse_times([e for _, e in typed]), strict=True):
            out[index] = self.accept(typed_event, moment)
        return out

    def accept(self, event: Any, moment: datetime | None) -> Accepted | None:
        """A typed event accepted, or None if anything needs the precise check.

        The typed decoder already checked the attributes' kinds and lengths,
        ``specversion`` and that no other attribute is present; the rest is checked
        here, by the same methods the precise path uses.
        """
        if moment is None or moment.tzinfo is None or not self.earliest <= moment <= self.latest:
            return None
        customer = self.customer_of(event.subject)
        requirements = self.by_type.get(event.type)
        if customer is None or requirements is None:
            return None
        found: list[_Found] = []
        value = event.data
        data = self._data(None if value is UNSET else value, requirements, found, owned=True)
        if found or data is None:
            return None
        if moment.tzinfo is not UTC:
            moment = moment.astimezone(UTC)
        event.time = moment  # the struct now encodes as the canonical payload
        event.data = data
        payload = _CANONICAL.encode(event)
        if self.rows:
            return (event.source, event.id, event.type, customer, moment, _sha256(payload).hexdigest(), payload,
                    key_hash(event.source, event.id))
        extensions: dict[str, Any] = {}
        if event.datacontenttype is not UNSET:
            extensions["datacontenttype"] = event.datacontenttype
        if event.dataschema is not UNSET:
            extensions["dataschema"] = event.dataschema
        return UsageEvent(event.source, event.id, event.type, event.subject, customer, moment, data, extensions,
                          _sha256(payload).hexdigest(), payload)

    # --- the precise path -------------------------------------------------------------

    def check(self, event: Any) -> Accepted | list[_Found]:
        if type(event) is not dict:
            return [("", "expected a JSON object (an event)", _kind(event))]
        found: list[_Found] = []
        get = event.get
        ident = self._string(get("id"), "id", found)
        source = self._string(get("source"), "source", found)
        kind = self._string(get("type"), "type", found)
        subject = self._string(get("subject"), "subject", found)
        if get("specversion") != "1.0":
            found.append(("specversion", 'must be "1.0"', get("specversion")))
        moment = self._time(get("time"), found)
        customer = self._customer(subject, found)
        requirements = self._requirements(kind, found)
        data = self._data(get("data"), requirements, found)
        extensions = self._extensions(event, found)
        if found:
            return found
        assert ident and source and kind and subject and customer and moment and data is not None
        canonical = dict(event)
        canonical["time"] = moment
        canonical["data"] = data
        payload = _CANONICAL.encode(canonical)
        digest = _sha256(payload).hexdigest()
        if self.rows:
            return (source, ident, kind, customer, moment, digest, payload, key_hash(source, ident))
        # Positional: measurably faster than keywords, in the order the fields are declared.
        return UsageEvent(
            source, ident, kind, subject, customer, moment, data, extensions, digest, payload
        )

    def reject(
        self,
        index: int,
        event: Any,
        raw: str,
        found: list[_Found],
        prefix: str,
        source: str | None,
    ) -> Rejection:
        ident = event.get("id") if type(event) is dict else None
        event_id = ident if type(ident) is str and 0 < len(ident) <= self.max_string else None
        problems = tuple(
            Problem(_field_name(prefix, field), reason, value, source, event_id)
            for field, reason, value in found
        )
        return Rejection(index, event_id, raw, problems, source)

    def _string(self, value: Any, name: str, found: list[_Found]) -> str | None:
        if type(value) is str and 0 < len(value) <= self.max_string:
            return value
        if value is None:
            found.append((name, "required", None))
        elif type(value) is not str:
            found.append((name, "expected a string", _kind(value)))
        elif not value:
            found.append((name, "must not be empty", None))
        else:
            found.append((name, f"longer than {self.max_string} characters", value))
        return None

    def _time(self, value: Any, found: list[_Found]) -> datetime | None:
        moment = _parse_time(value)
        if moment is None:
            reason = "required" if value is None else "expected an RFC 3339 time"
            found.append(("time", reason, value))
        elif moment.tzinfo is None:
            found.append(("time", "no UTC offset: RFC 3339 needs Z or +hh:mm", value))
        elif moment > self.latest:
            found.append(("time", f"more than {_span(self.limits.max_future)} in the future", value))
        elif moment < self.earliest:
            found.append(("time", f"more than {_span(self.limits.max_lateness)} in the past", value))
        else:
            return moment.astimezone(UTC)
        return None

    def _customer(self, subject: str | None, found: list[_Found]) -> str | None:
        if subject is None:
            return None
        customer = self.customer_of(subject)
        if customer is None:
            found.append(("subject", "unknown customer", subject))
        return customer

    def _requirements(self, kind: str | None, found: list[_Found]) -> tuple[Requirement, ...]:
        if kind is None:
            return ()
        requirements = self.by_type.get(kind)
        if requirements is None:
            found.append(("type", "unknown event type: no meter reads it", kind))
            return ()
        return requirements

    def _data(
        self, value: Any, requirements: tuple[Requirement, ...], found: list[_Found], owned: bool = False
    ) -> dict[str, Any] | None:
        """``data`` with each needed value as stored; ``owned`` says it may be changed in place.

        A dict decoded for this check alone is owned; one the caller passed in is copied
        before a value is replaced.
        """
        if value is None:
            value = {}
        elif not isinstance(value, dict):
            found.append(("data", "expected a JSON object", _kind(value)))
            return None
        if len(value) > self.max_properties:
            found.append(("data", f"more than {self.max_properties} properties", len(value)))
        kept: list[tuple[str, Any]] = []
        for requirement in requirements:  # filters and values are read as sent, replaced only after
            if requirement.always or requirement.applies(value):
                given = value.get(requirement.property)
                checked = self._needed(requirement, given)
                if checked is _REFUSED:
                    found.append(("data." + requirement.property, self._refusal(requirement, given), given))
                elif checked is not given:
                    kept.append((requirement.property, checked))
        if not kept:
            return value
        data: dict[str, Any] = value if owned else dict(value)
        data.update(kept)
        return data

    def _needed(self, requirement: Requirement, value: Any) -> Any:
        """The property's value as stored (a ``Decimal`` for quantities), or ``_REFUSED``.

        Says only yes or no, so the hot path pays for no message; ``_refusal`` words it.
        """
        if value is None:
            return _REFUSED
        if requirement.need is Need.NUMBER:
            if self.rows and type(value) is int and -MAX_MAGNITUDE < value < MAX_MAGNITUDE:
                return value  # the payload spells it as its Decimal would, and rows keep no data apart
            try:
                return parse_quantity(value)
            except ValueError:
                return _REFUSED
        if (type(value) is str and len(value) <= self.max_string) or type(value) is int:
            return value
        return _REFUSED

    def _refusal(self, requirement: Requirement, value: Any) -> str:
        if value is None:
            return "required by " + requirement.describe()
        if requirement.need is Need.NUMBER:
            try:
                parse_quantity(value)
            except ValueError as refused:
                return f"{refused} ({requirement.describe()})"
        reason = f"expected a string of at most {self.max_string} characters or an integer"
        return f"{reason} ({requirement.describe()})"

    def _extensions(self, event: dict[str, Any], found: list[_Found]) -> dict[str, Any]:
        names = event.keys() - CORE_ATTRIBUTES
        if not names:
            return {}
        extensions = {name: event[name] for name in sorted(names)}
        if "data_base64" in extensions:
            found.append(("data_base64", "binary data is not accepted: send data as a JSON object", None))
        return extensions


def _parse_time(value: Any) -> datetime | None:
    """A datetime from RFC 3339 text (or a reader's datetime), else None."""
    if type(value) is str:
        if len(value) > MAX_TIME_TEXT:
            return None
        try:
            return _TIME.decode(_QUOTE(value))
        except msgspec.ValidationError:
            return None
    if isinstance(value, datetime):
        return value
    return None


def _field_name(prefix: str, field: str) -> str:
    if not field:
        return prefix or "event"
    return f"{prefix}.{field}" if prefix else field


def _span(span: timedelta) -> str:
    """``5 minutes``, ``35 days``: limits as a person would say them."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _kind(value: Any) -> str:
    """A value's JSON kind, shown instead of the value where the value is no help."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else type(value).__name__
