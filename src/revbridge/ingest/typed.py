"""The typed fast path of ingest: well-formed events decoded straight into structs.

Nearly every body a sender posts is well formed: every event has the core attributes,
as strings within the length limit, ``specversion`` 1.0 and no attribute revbridge does
not know. For those, msgspec can check in C, while it decodes, most of what the precise
path (``envelope._Checker``) checks in Python one value at a time; that path costs
several times the decoding itself (see PERF.md and ``bench/ingest_decode.py``).

This module only ever *vouches*: it returns events it could decode with every typed
constraint met and with the body's structure proven sound (no nesting too deep, no key
repeated: see ``safejson``), and ``None`` for anything else. Whatever it cannot vouch
for goes to the precise path, which alone words problems, so an error message never
depends on which path met the input. ``tests/ingest/test_typed.py`` checks on random
valid and invalid inputs that both paths agree.

The struct's fields are declared in name order: encoded with ``order="sorted"``, an
accepted event becomes exactly the canonical payload the precise path builds from a
dict, so a redelivery hashes the same whichever path took it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from msgspec import UNSET, Meta, UnsetType

from revbridge.ingest.limits import IngestLimits
from revbridge.ingest.safejson import same_census, skeleton

MAX_TIME_TEXT = 40  # longer text is not an RFC 3339 time anyone sends
# Core attributes always present in a typed event; the optional ones are counted apart.
_REQUIRED_KEYS = 6
_TIMES = msgspec.json.Decoder(list[datetime])
_QUOTE = msgspec.json.encode


class Decoders(NamedTuple):
    """Typed decoders for one string limit: a batch body, and one event (a body or a line)."""

    batch: msgspec.json.Decoder[Any]
    single: msgspec.json.Decoder[Any]


@lru_cache(maxsize=8)
def decoders(max_string_length: int) -> Decoders:
    """Decoders whose struct carries the limits; one set per distinct limit."""
    text = Annotated[str, Meta(min_length=1, max_length=max_string_length)]
    event = msgspec.defstruct(
        "TypedEvent",
        [
            ("data", dict[str, Any] | None | UnsetType, UNSET),
            ("datacontenttype", str | UnsetType, UNSET),
            ("dataschema", str | UnsetType, UNSET),
            ("id", text),
            ("source", text),
            ("specversion", Literal["1.0"]),
            ("subject", text),
            ("time", Annotated[str, Meta(max_length=MAX_TIME_TEXT)]),
            ("type", text),
        ],
        kw_only=True,
        forbid_unknown_fields=True,
        gc=False,  # decoded from JSON: never part of a reference cycle
        module=__name__,
    )
    return Decoders(
        msgspec.json.Decoder(list[event], float_hook=Decimal),  # type: ignore[valid-type]
        msgspec.json.Decoder(event, float_hook=Decimal),
    )


def decode_body(body: bytes, batch: bool, limits: IngestLimits) -> list[Any] | None:
    """Typed events of a body the fast path can vouch for, else None."""
    if len(body) > limits.max_body_bytes:
        return None
    typed = decoders(limits.max_string_length)
    try:
        decoded = typed.batch.decode(body) if batch else [typed.single.decode(body)]
    except (msgspec.DecodeError, UnicodeError, RecursionError):
        return None
    if len(decoded) > limits.max_batch_events:
        return None
    # The array of a batch is one level the depth limit does not count.
    return decoded if _sound(body, decoded, limits.max_depth + (1 if batch else 0)) else None


def decode_lines(lines: Sequence[bytes], limits: IngestLimits) -> list[Any | None]:
    """Each line's typed event, or None for a line the fast path cannot vouch for.

    Lines are decoded one by one, so one line's text can never be read as part of
    another's. Their structure is then proven sound all at once on the joined text:
    each decoded line is a complete JSON value, so the skeleton of the lines joined is
    theirs end to end. Should the joined check fail, every line is left to the precise
    path (it names the line at fault).
    """
    decode = decoders(limits.max_string_length).single.decode
    out: list[Any | None] = []
    good: list[bytes] = []
    for line in lines:
        if len(line) > limits.max_body_bytes:
            out.append(None)
            continue
        try:
            out.append(decode(line))
        except (msgspec.DecodeError, UnicodeError, RecursionError):
            out.append(None)
            continue
        good.append(line)
    if good and not _sound(b"\n".join(good), [e for e in out if e is not None], limits.max_depth):
        return [None] * len(out)
    return out


def parse_times(events: Sequence[Any]) -> list[datetime | None]:
    """Each event's ``time``, parsed in one call; None where a time is not RFC 3339."""
    texts = [event.time for event in events]
    try:
        return list(_TIMES.decode(_QUOTE(texts)))
    except msgspec.ValidationError:
        pass
    return [_parse_one(text) for text in texts]


def _parse_one(text: str) -> datetime | None:
    try:
        return _TIMES.decode(_QUOTE([text]))[0]
    except msgspec.ValidationError:
        return None


def _sound(text: bytes, events: Sequence[Any], allowed_depth: int) -> bool:
    """Whether ``text`` nests no deeper than allowed and every key in it was decoded.

    A struct keeps the last of two equal keys silently, as a dict does; counting keys
    and objects against the text's skeleton (see ``safejson``) catches any repeat.
    """
    shape = skeleton(text, allowed_depth)
    if shape.depth is None or shape.depth > allowed_depth:
        return False
    keys = _REQUIRED_KEYS * len(events)
    data: list[dict[str, Any]] = []
    for event in events:
        value = event.data
        if value is not UNSET:
            keys += 1
            if value is not None:
                data.append(value)
        keys += (event.datacontenttype is not UNSET) + (event.dataschema is not UNSET)
    return same_census(data, shape.objects - len(events), shape.keys - keys)
