"""Decoding untrusted JSON bodies: fast, exact and bounded.

msgspec does the parsing (several times faster than the alternatives, see PERF.md),
with JSON floats handed over as ``Decimal`` text so no quantity ever passes through
``float``. What msgspec does not do is done here, cheaply enough for the hot path, from
the body's *skeleton*: its bytes with string contents removed, leaving only brackets
and the colons that separate keys from values (a few C-level byte operations).

* nesting: the skeleton's bracket depth is checked against ``max_depth`` before
  decoding, so a body nested thousands deep costs one pass and never reaches a
  recursive parser (a ``RecursionError`` from msgspec is still caught, as a backstop);
* duplicate keys: msgspec keeps the last value silently, which would let two readers of
  the same body disagree. Each key in the text costs one colon in the skeleton, so the
  body has no duplicate exactly when the decoded objects hold as many keys as the
  skeleton has colons (and as many objects as it has ``{``). Counting the decoded keys
  of events and their ``data`` takes C-level iteration; only when that count differs
  is the whole value walked, and only when that differs too is the body parsed again
  with ``object_pairs_hook`` to name the duplicate;
* invalid UTF-8 and malformed JSON become ``MalformedBody`` with the reason.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from itertools import accumulate, chain
from typing import Any, NamedTuple

import msgspec

from revbridge.errors import Problem
from revbridge.ingest.limits import BodyTooLarge, IngestLimits, MalformedBody

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'"[]{}:')
_NOT_BRACKET = bytes(c for c in range(256) if c not in b"[]{}")
_STRING = re.compile(rb'"[^"]*"')
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1
_is_dict = dict.__instancecheck__


class Skeleton(NamedTuple):
    """What the text of a body says about its structure, strings aside."""

    objects: int  # "{" outside strings
    keys: int  # ":" outside strings
    depth: int | None  # deepest nesting; None when the body's strings do not close


def decode_document(
    body: bytes, limits: IngestLimits, *, batch: bool, field: str = "body"
) -> Any:
    """The JSON value in ``body``, or ``BodyTooLarge``/``MalformedBody``.

    ``batch`` says the body is an array of events: its array level is not counted
    against ``max_depth``, and a duplicate key is reported against the event holding it.
    ``field`` names the input in problems (``body``, or ``event`` for a line of a file).
    """
    if len(body) > limits.max_body_bytes:
        raise BodyTooLarge(len(body), limits.max_body_bytes)
    shape = skeleton(body, limits.max_depth + (1 if batch else 0))
    if shape.depth is not None and shape.depth > limits.max_depth + (1 if batch else 0):
        raise MalformedBody([Problem(field, _depth_reason(limits))])
    value = _decode(body, limits, field)
    if not same_census(value, shape.objects, shape.keys):
        problems = _duplicate_key_problems(body, batch, field)
        if problems:
            raise MalformedBody(problems)
    return value


def decode_sound(body: bytes) -> Any:
    """The JSON value of a body already proven sound (by the typed path), not checked again."""
    return _DECODER.decode(body)


def split_items(body: bytes) -> list[str]:
    """The exact text of each element of a JSON array body, as the client sent it.

    Used only to keep a rejected event's raw text for quarantine; the body has already
    been decoded once, so this cannot fail.
    """
    return [bytes(item).decode() for item in _ITEMS.decode(body)]


def skeleton(body: bytes, allowed_depth: int) -> Skeleton:
    """Objects, keys and depth of a JSON text, read from its bytes without parsing it."""
    text = body
    if b"\\" in text:  # drop escaped backslashes, then escaped quotes: neither ends a string
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Removing two adjacent quotes never moves a character into or out of a string.
    structure = text.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in structure:
        structure = _STRING.sub(b"", structure)
        if b'"' in structure:
            return Skeleton(0, 0, None)  # an unterminated string: the decoder will say so
    brackets = structure.translate(None, _NOT_BRACKET)
    depth = 0
    if len(brackets) // 2 > allowed_depth:  # otherwise it cannot nest too deep
        depth = max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
    return Skeleton(structure.count(b"{"), structure.count(b":"), depth)


def _decode(body: bytes, limits: IngestLimits, field: str) -> Any:
    try:
        return _DECODER.decode(body)
    except UnicodeDecodeError:
        reason = "not valid UTF-8"
    except RecursionError:
        reason = _depth_reason(limits)
    except msgspec.DecodeError as exc:
        message = str(exc)
        if message.startswith("Invalid UTF-8"):  # msgspec 0.23 and later, for a string's bytes
            reason = "not valid UTF-8"
        else:
            reason = "malformed JSON: " + message.removeprefix("JSON is malformed: ")
    raise MalformedBody([Problem(field, reason)])


def _depth_reason(limits: IngestLimits) -> str:
    return f"JSON nested deeper than {limits.max_depth} levels"


def same_census(value: Any, objects: int, keys: int) -> bool:
    """Whether the decoded value kept every object and key the text holds.

    ``value`` is a decoded object, or a list of them (a batch; the typed path passes
    its events' ``data``, with the events' own keys taken off the counts).
    """
    expected = (objects, keys)
    return _shallow_census(value) == expected or _census(value) == expected


def _shallow_census(value: Any) -> tuple[int, int] | None:
    """Objects and keys of a list of events and their nested objects, one level down.

    The common shape, counted without a Python-level loop. When deeper objects exist
    the count falls short of the text's and ``_census`` walks everything.
    """
    items = value if type(value) is list else [value]
    try:
        children = list(filter(_is_dict, chain.from_iterable(map(dict.values, items))))
    except TypeError:  # an item that is not an object
        return None
    return len(items) + len(children), sum(map(len, items)) + sum(map(len, children))


def _census(value: Any) -> tuple[int, int]:
    objects = keys = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) is dict:
            objects += 1
            keys += len(item)
            pending.extend(item.values())
        elif type(item) is list:
            pending.extend(item)
    return objects, keys


def _duplicate_key_problems(body: bytes, batch: bool, field: str) -> list[Problem]:
    """The exact search, run only when the counts say a key may repeat."""
    if not batch:
        key = _first_duplicate_key(body)
        return [] if key is None else [Problem(field, f"duplicate key {key!r}")]
    problems = []
    for index, item in enumerate(_ITEMS.decode(body)):
        key = _first_duplicate_key(bytes(item))
        if key is not None:
            problems.append(Problem(f"events[{index}]", f"duplicate key {key!r}"))
    return problems


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _first_duplicate_key(text: bytes) -> str | None:
    # Depth was checked already, so the stdlib parser's recursion is bounded.
    try:
        json.loads(text, object_pairs_hook=_refuse_duplicates, parse_float=Decimal)
    except _DuplicateKey as found:
        return found.key
    return None
