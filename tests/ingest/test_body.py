"""Refusals of a body as a whole: size, batch length, encoding, nesting, duplicates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from revbridge.ingest import (
    BatchTooLarge,
    BodyTooLarge,
    IngestLimits,
    IngestResult,
    MalformedBody,
    UnsupportedMediaType,
    is_batch_media_type,
)

from .conftest import SINGLE

Ingest = Callable[..., IngestResult]
MakeEvent = Callable[..., dict[str, Any]]


def refusal(ingest: Ingest, body: bytes, content_type: str = "application/cloudevents-batch+json",
            **kw: Any) -> MalformedBody:
    with pytest.raises(MalformedBody) as caught:
        ingest(body, content_type, **kw)
    assert caught.value.status == 422
    return caught.value


def test_a_body_over_the_limit_is_413(ingest: Ingest, make_event: MakeEvent) -> None:
    body = msgspec.json.encode([make_event() for _ in range(20)])
    with pytest.raises(BodyTooLarge) as caught:
        ingest(body, limits=IngestLimits(max_body_bytes=len(body) - 1))
    assert caught.value.status == 413
    assert ingest(body, limits=IngestLimits(max_body_bytes=len(body))).received == 20


def test_a_batch_over_the_limit_is_413(ingest: Ingest, make_event: MakeEvent) -> None:
    with pytest.raises(BatchTooLarge) as caught:
        ingest([make_event() for _ in range(4)], limits=IngestLimits(max_batch_events=3))
    assert caught.value.status == 413
    assert caught.value.problems[0].field == "events"


def test_invalid_utf8(ingest: Ingest, make_event: MakeEvent) -> None:
    body = msgspec.json.encode([make_event(id="caf\u00e9")]).replace("é".encode(), b"\xe9")
    assert refusal(ingest, body).problems[0].reason == "not valid UTF-8"


def test_invalid_utf8_outside_strings(ingest: Ingest) -> None:
    assert refusal(ingest, b"[\xff]").problems[0].reason.startswith("malformed JSON")


@pytest.mark.parametrize("depth", [34, 999, 5_000, 200_000])
def test_json_nested_too_deep(ingest: Ingest, depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    assert refusal(ingest, body).problems[0].reason == "JSON nested deeper than 32 levels"


def test_deep_nesting_inside_data_counts_from_the_event(ingest: Ingest, make_event: MakeEvent) -> None:
    def nested(levels: int) -> Any:
        value: Any = 1
        for _ in range(levels):
            value = {"a": value}
        return value

    ok = make_event(data={"tokens": 1, "user": "u", "deep": nested(30)})  # event 1 + data 2 + 30
    assert not ingest([ok], limits=IngestLimits(max_depth=32)).rejected
    too_deep = make_event(data={"tokens": 1, "user": "u", "deep": nested(31)})
    refusal(ingest, msgspec.json.encode([too_deep]), limits=IngestLimits(max_depth=32))
    assert ingest(too_deep, SINGLE, limits=IngestLimits(max_depth=33)).accepted


def test_unterminated_deep_input_is_refused_without_crashing(ingest: Ingest) -> None:
    refusal(ingest, b'["' + b"[" * 100_000)
    refusal(ingest, b"[" * 100_000)
    refusal(ingest, b"{" * 3_000 + b'"a"')


@pytest.mark.parametrize(
    ("body", "where", "key"),
    [
        (b'[{"id":"1","id":"2"}]', "events[0]", "id"),
        (b'[{"id":"1"},{"data":{"tokens":1,"tokens":2}}]', "events[1]", "tokens"),
        (b'[{"data":{"tokens":1},"data":{"tokens":1}}]', "events[0]", "data"),
        (b'[{"x":[{"a":1,"a":1}]}]', "events[0]", "a"),
        (b'[{"a\\u003a":1,"a\\u003a":2}]', "events[0]", "a:"),
        (b'[{"a":"\\"","a":"\\\\"}]', "events[0]", "a"),
    ],
)
def test_duplicate_keys(ingest: Ingest, body: bytes, where: str, key: str) -> None:
    (problem,) = refusal(ingest, body).problems
    assert (problem.field, problem.reason) == (where, f"duplicate key {key!r}")


def test_duplicate_keys_in_a_single_event(ingest: Ingest) -> None:
    (problem,) = refusal(ingest, b'{"id":"1","id":"2"}', SINGLE).problems
    assert (problem.field, problem.reason) == ("body", "duplicate key 'id'")


@pytest.mark.parametrize(
    "body",
    [
        b'[{"a\\u003a":1}]',
        b'[{"a:b":"c:d","e":{"f":[{"g":"h"}]}}]',
        b'[{"\\\\":"\\"{[:"}]',
        b'[{"a":{}, "b":[], "c":[{}, {"d": {}}]}]',
    ],
)
def test_lookalikes_are_not_duplicates(ingest: Ingest, body: bytes) -> None:
    assert ingest(body).received == 1


@pytest.mark.parametrize(
    ("body", "start"),
    [
        (b"", "malformed JSON"),
        (b"[{]", "malformed JSON"),
        (b'[{"a":NaN}]', "malformed JSON"),
        (b"[1,]", "malformed JSON"),
        (b'[{"a":1}] trailing', "malformed JSON"),
        (b'{"events": []}', "expected a JSON array of events"),
    ],
)
def test_malformed_json(ingest: Ingest, body: bytes, start: str) -> None:
    assert refusal(ingest, body).problems[0].reason.startswith(start)


def test_a_single_event_body_must_be_an_object(ingest: Ingest) -> None:
    assert refusal(ingest, b"[]", SINGLE).problems[0].reason == "expected one JSON object (an event)"


def test_media_types() -> None:
    assert is_batch_media_type("application/cloudevents-batch+json; charset=utf-8")
    assert not is_batch_media_type("Application/CloudEvents+JSON")
    with pytest.raises(UnsupportedMediaType) as caught:
        is_batch_media_type("text/csv")
    assert caught.value.status == 415


def test_an_empty_batch(ingest: Ingest) -> None:
    assert ingest(b"[]").received == 0


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        IngestLimits(max_depth=0)
    with pytest.raises(ValueError):
        IngestLimits(max_depth=10_000)
