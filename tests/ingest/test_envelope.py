"""Per-event validation: what is accepted, how, and every reason to reject."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from revbridge.catalog.model import Aggregation, Meter
from revbridge.ingest import (
    EventRules,
    IngestLimits,
    IngestResult,
    RawRecord,
    UsageEvent,
    ingest_records,
    validate_events,
)

from .conftest import CUSTOMERS, NOW, RULES, SINGLE

Ingest = Callable[..., IngestResult]
MakeEvent = Callable[..., dict[str, Any]]


def only_rejection_reasons(result: IngestResult) -> dict[str, str]:
    assert not result.accepted
    assert len(result.rejected) == 1
    return {p.field: p.reason for p in result.rejected[0].problems}


def test_a_valid_batch_is_accepted_with_exact_quantities(ingest: Ingest, make_event: MakeEvent) -> None:
    events = [
        make_event(data={"tokens": 12, "region": "eu", "latency": 1.50, "user": 7}),
        make_event(type="storage.snapshot", data={"gb": "12.25"}, time="2025-03-01T12:30:00+02:00"),
    ]
    result = ingest(events)
    assert not result.rejected
    first, second = result.accepted
    assert isinstance(first, UsageEvent)
    assert first.customer_id == "cus_1"
    assert first.data == {"tokens": Decimal(12), "region": "eu", "latency": Decimal("1.5"), "user": 7}
    assert type(first.data["latency"]) is Decimal
    assert second.data["gb"] == Decimal("12.25")
    assert second.time == datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    assert second.time.tzinfo is UTC


def test_numbers_are_read_from_the_json_text_not_through_float(ingest: Ingest, make_event: MakeEvent) -> None:
    body = msgspec.json.encode([make_event()]).replace(b'"tokens":10', b'"tokens":123456789.123456789012')
    (event,) = ingest(body).accepted
    assert event.data["tokens"] == Decimal("123456789.123456789012")


def test_unknown_attributes_are_kept_as_extensions(ingest: Ingest, make_event: MakeEvent) -> None:
    (event,) = ingest([make_event(traceparent="00-abc", datacontenttype="application/json")]).accepted
    assert event.extensions == {"datacontenttype": "application/json", "traceparent": "00-abc"}


def test_a_single_event_body(ingest: Ingest, make_event: MakeEvent) -> None:
    result = ingest(make_event(), SINGLE)
    assert len(result.accepted) == 1
    bad = ingest(make_event(time=None), SINGLE)
    assert [p.field for p in bad.rejected[0].problems] == ["time"]


def test_the_digest_ignores_key_order_offsets_and_number_spelling_of_quantities(
    ingest: Ingest, make_event: MakeEvent
) -> None:
    base = make_event(id="same", data={"tokens": 10, "region": "us", "user": "u1"})
    respelled = dict(reversed(list(base.items())))
    respelled["time"] = "2025-03-01T12:00:00+01:00"
    respelled["data"] = {"user": "u1", "region": "us", "tokens": "10.0"}
    changed = dict(base, data={"tokens": 11, "region": "us", "user": "u1"})
    a, b, c = ingest([base, respelled, changed]).accepted
    assert a.digest == b.digest
    assert a.payload == b.payload
    assert a.digest != c.digest
    assert msgspec.json.decode(a.payload)["time"] == "2025-03-01T11:00:00Z"


def test_every_problem_of_an_event_is_reported_with_its_index(ingest: Ingest, make_event: MakeEvent) -> None:
    result = ingest([make_event(), make_event(id=None, source=None, type=None, time="yesterday")])
    assert len(result.accepted) == 1
    (rejection,) = result.rejected
    assert rejection.index == 1
    assert rejection.event_id is None
    fields = {p.field: p.reason for p in rejection.problems}
    assert fields == {
        "events[1].id": "required",
        "events[1].source": "required",
        "events[1].type": "required",
        "events[1].time": "expected an RFC 3339 time",
    }


def test_a_rejection_keeps_the_raw_text_for_quarantine(ingest: Ingest, make_event: MakeEvent) -> None:
    body = b'[\n  {"id": "a", "note": "kept  as sent"},\n' + msgspec.json.encode(make_event()) + b"]"
    result = ingest(body)
    assert result.rejected[0].raw == '{"id": "a", "note": "kept  as sent"}'
    assert result.rejected[0].event_id == "a"
    assert result.rejected[0].as_dict()["problems"][0]["event_id"] == "a"


@pytest.mark.parametrize("missing", ["id", "source", "type", "subject", "time", "specversion"])
def test_a_required_attribute_missing(ingest: Ingest, make_event: MakeEvent, missing: str) -> None:
    reasons = only_rejection_reasons(ingest([make_event(**{missing: None})]))
    expected = 'must be "1.0"' if missing == "specversion" else "required"
    assert reasons == {f"events[0].{missing}": expected}


@pytest.mark.parametrize(
    ("attribute", "value", "reason"),
    [
        ("id", "", "must not be empty"),
        ("id", 42, "expected a string"),
        ("source", "x" * 257, "longer than 256 characters"),
        ("specversion", "0.3", 'must be "1.0"'),
    ],
)
def test_a_bad_attribute(ingest: Ingest, make_event: MakeEvent, attribute: str, value: Any, reason: str) -> None:
    assert only_rejection_reasons(ingest([make_event(**{attribute: value})])) == {
        f"events[0].{attribute}": reason
    }


def test_a_ten_thousand_character_id(ingest: Ingest, make_event: MakeEvent) -> None:
    result = ingest([make_event(id="x" * 10_000)])
    (problem,) = result.rejected[0].problems
    assert (problem.field, problem.reason) == ("events[0].id", "longer than 256 characters")
    assert result.rejected[0].event_id is None
    assert len(str(problem)) < 200  # the value is shown shortened


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-01",
        "2025-03-01T11:00Z",
        "20250301T110000Z",
        "2025-03-01T11:00:00,5Z",
        "2025-02-30T11:00:00Z",
        "next tuesday",
        "2025-03-01T11:00:00Z" + "0" * 50,
    ],
)
def test_time_not_rfc3339(ingest: Ingest, make_event: MakeEvent, text: str) -> None:
    assert only_rejection_reasons(ingest([make_event(time=text)])) == {
        "events[0].time": "expected an RFC 3339 time"
    }


def test_time_without_offset_is_refused(ingest: Ingest, make_event: MakeEvent) -> None:
    reasons = only_rejection_reasons(ingest([make_event(time="2025-03-01T11:00:00")]))
    assert reasons["events[0].time"].startswith("no UTC offset")


def test_time_as_a_number_is_refused(ingest: Ingest, make_event: MakeEvent) -> None:
    assert only_rejection_reasons(ingest([make_event(time=1740826800)])) == {
        "events[0].time": "expected an RFC 3339 time"
    }


def test_time_window(ingest: Ingest, make_event: MakeEvent) -> None:
    edge_future = make_event(time="2025-03-01T12:05:00Z")
    edge_past = make_event(time="2025-01-25T12:00:00Z")  # exactly 35 days before NOW
    future = make_event(time="2025-03-01T12:05:00.000001Z")
    far_future = make_event(time="9999-12-31T23:59:59-01:00")
    past = make_event(time="2025-01-25T11:59:59Z")
    far_past = make_event(time="0001-01-01T00:00:00+01:00")
    result = ingest([edge_future, edge_past, future, far_future, past, far_past])
    assert len(result.accepted) == 2
    reasons = [r.problems[0].reason for r in result.rejected]
    assert reasons == ["more than 5 minutes in the future"] * 2 + ["more than 35 days in the past"] * 2


def test_the_window_is_configurable(ingest: Ingest, make_event: MakeEvent) -> None:
    from datetime import timedelta

    limits = IngestLimits(max_future=timedelta(0), max_lateness=timedelta(hours=2))
    result = ingest([make_event(time="2025-03-01T09:59:59Z")], limits=limits)
    assert result.rejected[0].problems[0].reason == "more than 2 hours in the past"


def test_unknown_customer(ingest: Ingest, make_event: MakeEvent) -> None:
    result = ingest([make_event(subject="initech")])
    (problem,) = result.rejected[0].problems
    assert (problem.field, problem.reason, problem.value) == ("events[0].subject", "unknown customer", "initech")


def test_unknown_event_type(ingest: Ingest, make_event: MakeEvent) -> None:
    reasons = only_rejection_reasons(ingest([make_event(type="api.reqest")]))
    assert reasons == {"events[0].type": "unknown event type: no meter reads it"}


def test_an_allowed_type_without_meters_is_accepted(ingest: Ingest, make_event: MakeEvent) -> None:
    assert ingest([make_event(type="audit.login", data=None)]).accepted


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("NaN", "expected a number, got a string that is not a JSON number"),
        ("Infinity", "expected a number, got a string that is not a JSON number"),
        ("1e400", "out of range: the magnitude must be below 10^15"),
        (True, "expected a number, got a boolean"),
        ("ten", "expected a number, got a string that is not a JSON number"),
        (" 10", "expected a number, got a string that is not a JSON number"),
        ({"n": 1}, "expected a number, got an object"),
        ("0.0000000000001", "more than 12 decimal places"),
    ],
)
def test_a_bad_quantity(ingest: Ingest, make_event: MakeEvent, value: Any, reason: str) -> None:
    reasons = only_rejection_reasons(ingest([make_event(data={"tokens": value, "user": "u"})]))
    assert reasons == {"events[0].data.tokens": f"{reason} (meter tokens)"}


def test_a_json_number_out_of_range(ingest: Ingest, make_event: MakeEvent) -> None:
    body = msgspec.json.encode([make_event()]).replace(b'"tokens":10', b'"tokens":1e400')
    reasons = only_rejection_reasons(ingest(body))
    assert reasons == {"events[0].data.tokens": "out of range: the magnitude must be below 10^15 (meter tokens)"}


def test_a_quantity_required_by_a_meter_is_missing(ingest: Ingest, make_event: MakeEvent) -> None:
    reasons = only_rejection_reasons(ingest([make_event(data={"user": "u"})]))
    assert reasons == {"events[0].data.tokens": "required by meter tokens"}


def test_a_filtered_meter_needs_its_value_only_from_events_it_counts(
    ingest: Ingest, make_event: MakeEvent
) -> None:
    us = make_event(data={"tokens": 1, "region": "us", "user": "u"})
    eu = make_event(data={"tokens": 1, "region": "eu", "user": "u"})
    result = ingest([us, eu])
    assert [e.id for e in result.accepted] == [us["id"]]
    assert result.rejected[0].problems[0].reason == "required by meter peak_eu"


def test_a_unique_count_key_must_be_a_string_or_integer(ingest: Ingest, make_event: MakeEvent) -> None:
    reasons = only_rejection_reasons(ingest([make_event(data={"tokens": 1, "user": [1]})]))
    assert reasons["events[0].data.user"].startswith("expected a string of at most 256 characters")


@pytest.mark.parametrize(("data", "reason"), [(["x"], "expected a JSON object"), ("x", "expected a JSON object")])
def test_data_must_be_an_object(ingest: Ingest, make_event: MakeEvent, data: Any, reason: str) -> None:
    assert only_rejection_reasons(ingest([make_event(data=data)])) == {"events[0].data": reason}


def test_too_many_data_properties(ingest: Ingest, make_event: MakeEvent) -> None:
    data = {"tokens": 1, "user": "u", **{f"p{i}": i for i in range(10)}}
    result = ingest([make_event(data=data)], limits=IngestLimits(max_data_properties=8))
    assert result.rejected[0].problems[0].reason == "more than 8 properties"


def test_binary_data_is_refused(ingest: Ingest, make_event: MakeEvent) -> None:
    reasons = only_rejection_reasons(ingest([make_event(data_base64="AAAA")]))
    assert "events[0].data_base64" in reasons


def test_an_event_that_is_not_an_object(ingest: Ingest, make_event: MakeEvent) -> None:
    result = ingest([make_event(), 42, "x"])
    assert [r.problems[0].field for r in result.rejected] == ["events[1]", "events[2]"]
    assert result.rejected[0].raw == "42"


def test_validate_events_reencodes_rejected_events(make_event: MakeEvent) -> None:
    result = validate_events([make_event(id=None)], rules=RULES, customer_of=CUSTOMERS.get, now=NOW)
    assert result.received == 1
    assert '"source":"//api.example.com"' in result.rejected[0].raw


def test_records_from_a_file_carry_their_position(make_event: MakeEvent) -> None:
    good = msgspec.json.encode(make_event())
    records = [
        RawRecord(good, "events.jsonl:1"),
        RawRecord(b'{"id": "x", oops}', "events.jsonl:2"),
        RawRecord(make_event(time=None), "events.csv:3"),
        RawRecord(b'{"id":"a","id":"b"}', "events.jsonl:4"),
    ]
    result = ingest_records(records, rules=RULES, customer_of=CUSTOMERS.get, now=NOW)
    assert len(result.accepted) == 1
    assert [r.source for r in result.rejected] == ["events.jsonl:2", "events.csv:3", "events.jsonl:4"]
    malformed, no_time, duplicate = result.rejected
    assert malformed.problems[0].reason.startswith("malformed JSON")
    assert str(no_time.problems[0]) == "events.csv:3: time: required"
    assert duplicate.problems[0].reason == "duplicate key 'id'"


def test_rules_need_a_value_property_for_sum() -> None:
    with pytest.raises(ValueError, match="needs a value_property"):
        EventRules.from_meters([Meter("x", "t", Aggregation.SUM)])


def test_now_must_be_aware(ingest: Ingest, make_event: MakeEvent) -> None:
    with pytest.raises(ValueError, match="time zone"):
        ingest([make_event()], now=datetime(2025, 3, 1))
