"""The typed fast path agrees with the precise path on every input, valid or not.

``typed`` only vouches for events; whatever it leaves is judged by the precise path, so
the two paths must give equal results (accepted events with the same payload and
digest, rejections with the same problems, the same refusal of a body) on any body or
file. Hypothesis builds events from valid and broken parts alike, and renders them as
JSON text that may repeat keys, spell numbers oddly or nest too deep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revbridge.ingest import IngestLimits, IngestResult, RawRecord, envelope, ingest_body, ingest_records

from .conftest import BATCH, CUSTOMERS, NOW, RULES, SINGLE

# Small limits, so that random values cross them often.
LIMITS = IngestLimits(max_string_length=16, max_depth=4, max_data_properties=4, max_batch_events=6,
                      max_body_bytes=6_000, max_future=timedelta(minutes=5), max_lateness=timedelta(days=2))


@contextmanager
def precise_only() -> Iterator[None]:
    """Run ingest with the typed path vouching for nothing."""
    with mock.patch.object(envelope, "decode_body", return_value=None), \
            mock.patch.object(envelope, "decode_lines", side_effect=lambda lines, limits: [None] * len(lines)):
        yield


def outcome(run: Callable[[], IngestResult]) -> Any:
    """What a run gives, in a form where equal means equal in every detail."""
    try:
        result = run()
    except Exception as exc:  # noqa: BLE001  (a refusal of the whole body must be the same refusal)
        return ("refused", type(exc).__name__, repr(getattr(exc, "problems", exc)))
    accepted = [repr(msgspec.structs.asdict(e)) + repr(e.time.tzinfo) for e in result.accepted]
    return ("result", accepted, repr(result.rejected))


def both(run: Callable[[], IngestResult]) -> tuple[Any, Any]:
    fast = outcome(run)
    with precise_only():
        precise = outcome(run)
    return fast, precise


# --- building events as JSON text -----------------------------------------------------


def text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


numbers = st.sampled_from(["1", "10", "-3", "1.50", "0.5", "1e2", "15E-1", "-0", "0.0000000000001", "1e400",
                           "123456789012345678", "1.000000000000"])
strings = st.one_of(
    st.sampled_from(["", "a", "acme", "globex", "tenant", "x" * 16, "x" * 17, "é" * 16, "😀" * 17, "eu", "us", "u1"]),
    st.text(max_size=10),
)
times = st.sampled_from([
    "2025-03-01T11:00:00Z", "2025-03-01T12:05:00Z", "2025-03-01T12:05:00.000001Z", "2025-02-27T12:00:00Z",
    "2025-02-27T11:59:59.999999Z", "2025-03-01T12:30:00+02:00", "2025-03-01T11:00:00-00:00",
    "2025-03-01t11:00:00z", "2025-03-01 11:00:00Z", "2025-03-01T11:00:00", "2025-03-01", "2025-03-01T11:00Z",
    "2025-02-30T11:00:00Z", "2025-03-01T11:00:00.123456789Z", "2025-03-01T11:00:00.1234567890123456789012Z",
    "2025-03-01T11:00:60Z", "yesterday", "",
])


def sometimes(draw: st.DrawFn, usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any], odds: int = 5) -> Any:
    """Mostly the usual value, one time in ``odds`` an odd one."""
    return draw(odd) if draw(st.integers(1, odds)) == odds else draw(usual)


@st.composite
def json_values(draw: st.DrawFn, depth: int = 0) -> str:
    """Any JSON value as text: the stuff ``data`` properties are made of."""
    leaves = st.one_of(numbers, strings.map(text), times.map(text), st.sampled_from(["true", "false", "null"]))
    kind = draw(st.integers(0, 7))
    if depth >= 2 or kind < 6:
        return draw(leaves)
    if kind == 6:
        return "[" + ",".join(draw(st.lists(json_values(depth + 1), max_size=3))) + "]"
    keys = draw(st.lists(st.sampled_from(["a", "b", "tokens"]), max_size=3, unique=draw(st.integers(0, 9)) < 9))
    return "{" + ",".join(f"{text(k)}:{draw(json_values(depth + 1))}" for k in keys) + "}"


@st.composite
def data_objects(draw: st.DrawFn) -> str:
    pairs: list[tuple[str, str]] = []
    if sometimes(draw, st.just(True), st.just(False)):
        pairs.append(("tokens", sometimes(draw, numbers, st.one_of(strings.map(text), json_values()))))
    if draw(st.booleans()):
        pairs.append(("region", text(draw(st.sampled_from(["eu", "us", "asia"])))))
    if draw(st.booleans()):
        pairs.append(("latency", sometimes(draw, numbers, strings.map(text))))
    if sometimes(draw, st.just(True), st.just(False)):
        pairs.append(("user", sometimes(draw, st.sampled_from(['"u1"', '"u2"', "7"]),
                                        st.one_of(strings.map(text), numbers, json_values()))))
    if draw(st.booleans()):
        pairs.append(("gb", draw(numbers)))
    extra = sometimes(draw, st.sampled_from(["note", "path"]), st.sampled_from(["tokens", "region"]), 20)
    for _ in range(sometimes(draw, st.just(0), st.integers(1, 4))):
        pairs.append((extra, draw(json_values())))
        extra = f"n{len(pairs)}"
    draw(st.randoms()).shuffle(pairs)
    return "{" + ", ".join(f"{text(k)}: {v}" for k, v in pairs) + "}"


@st.composite
def events(draw: st.DrawFn) -> str:
    """One event's text: mostly valid, with any of its parts broken or missing now and then."""
    pairs = {
        "specversion": text(sometimes(draw, st.just("1.0"), st.sampled_from(["0.3", "1", ""]), 10)),
        "id": text(sometimes(draw, st.sampled_from(["e1", "e2", "e3", "é"]), strings)),
        "source": text(sometimes(draw, st.sampled_from(["src", "other"]), strings, 10)),
        "type": text(sometimes(draw, st.sampled_from(["api.request", "storage.snapshot", "audit.login"]),
                               st.sampled_from(["nope", ""]), 10)),
        "subject": text(sometimes(draw, st.sampled_from(list(CUSTOMERS)), st.sampled_from(["ghost", ""]), 10)),
        "time": text(sometimes(draw, st.sampled_from(["2025-03-01T11:00:00Z", "2025-03-01T12:30:00+02:00",
                                                      "2025-02-28T11:00:00.5Z"]), times, 3)),
        "data": sometimes(draw, data_objects(), st.sampled_from(["null", "[]", '"x"', "{}"]), 10),
    }
    if draw(st.integers(1, 4)) == 4:  # a value of the wrong kind
        pairs[draw(st.sampled_from(list(pairs)))] = draw(json_values())
    if draw(st.integers(1, 6)) == 6:
        pairs.pop(draw(st.sampled_from(list(pairs))))
    if draw(st.integers(1, 3)) == 3:
        name = draw(st.sampled_from(["datacontenttype", "dataschema", "traceparent", "data_base64"]))
        pairs[name] = sometimes(draw, st.sampled_from(['"application/json"', '"t"']), json_values())
    items = list(pairs.items())
    draw(st.randoms()).shuffle(items)
    if draw(st.integers(0, 40)) == 40:  # a repeated key
        items.append(draw(st.sampled_from(items)))
    return "{" + ",".join(f"{text(k)}:{v}" for k, v in items) + "}"


bodies = st.lists(events(), max_size=7).filter(lambda items: len(items) < 7 or len(str(items)) % 5 == 0)


# --- the properties ----------------------------------------------------------------------


def run_body(body: bytes, content_type: str) -> Callable[[], IngestResult]:
    return lambda: ingest_body(body, content_type, rules=RULES, customer_of=CUSTOMERS.get, now=NOW, limits=LIMITS)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies, st.sampled_from(["", " ", "\n  "]))
def test_a_batch_body_gets_the_same_outcome_on_both_paths(items: list[str], space: str) -> None:
    body = ("[" + space + ("," + space).join(items) + "]").encode()
    fast, precise = both(run_body(body, BATCH))
    assert fast == precise


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_a_single_event_body_gets_the_same_outcome_on_both_paths(item: str) -> None:
    fast, precise = both(run_body(item.encode(), SINGLE))
    assert fast == precise


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(events(), st.sampled_from(['{"id": "a"', "[]", "1", '{"a":1} {"b":2}', "{}"])),
                max_size=8))
def test_file_lines_get_the_same_outcome_on_both_paths(lines: list[str]) -> None:
    records = [RawRecord(line.encode(), f"f.jsonl:{n}") for n, line in enumerate(lines, 1)]
    fast, precise = both(lambda: ingest_records(records, rules=RULES, customer_of=CUSTOMERS.get, now=NOW,
                                                limits=LIMITS))
    assert fast == precise


# --- the typed path is the one taken, and what it must leave --------------------------------


def test_well_formed_events_never_reach_the_precise_check(make_event: Callable[..., dict[str, Any]]) -> None:
    body = msgspec.json.encode([make_event(datacontenttype="application/json") for _ in range(3)])
    with mock.patch.object(envelope._Checker, "check", side_effect=AssertionError("precise path taken")):
        result = ingest_body(body, BATCH, rules=RULES, customer_of=CUSTOMERS.get, now=NOW)
    assert len(result.accepted) == 3


@pytest.mark.parametrize(
    "body",
    [
        (b'[{"specversion":"1.0","id":"a","id":"b","source":"s","type":"api.request","subject":"acme",'
         b'"time":"2025-03-01T11:00:00Z","data":{"tokens":1,"user":"u"}}]'),
        (b'[{"specversion":"1.0","id":"a","source":"s","type":"api.request","subject":"acme",'
         b'"time":"2025-03-01T11:00:00Z","data":{"tokens":1,"user":"u","x":{"y":1,"y":2}}}]'),
    ],
    ids=["repeated-attribute", "repeated-key-in-data"],
)
def test_a_repeated_key_is_refused_whichever_path_reads_it(body: bytes) -> None:
    fast, precise = both(run_body(body, BATCH))
    assert fast == precise and fast[0] == "refused"


def test_a_long_fraction_of_a_second_is_judged_by_its_text_length(make_event: Callable[..., dict[str, Any]]) -> None:
    long_time = "2025-03-01T11:00:00." + "1" * 25 + "Z"  # msgspec reads it; 40 characters is the bound
    result = ingest_body(msgspec.json.encode([make_event(time=long_time)]), BATCH, rules=RULES,
                         customer_of=CUSTOMERS.get, now=NOW)
    assert result.rejected[0].problems[0].reason == "expected an RFC 3339 time"


def test_events_keep_their_order_when_the_paths_mix(make_event: Callable[..., dict[str, Any]]) -> None:
    items = [make_event(id="k"), make_event(id="k", traceparent="t", data={"tokens": 2, "user": "u"}),
             make_event(id="k", time="2025-03-01T12:00:00+01:00")]
    lines = [RawRecord(msgspec.json.encode(e), f"f:{n}") for n, e in enumerate(items)]
    result = ingest_records(lines, rules=RULES, customer_of=CUSTOMERS.get, now=NOW)
    assert [e.extensions for e in result.accepted] == [{}, {"traceparent": "t"}, {}]
    assert result.accepted[0].digest == result.accepted[2].digest != result.accepted[1].digest


def test_values_are_read_as_sent_by_every_meter_on_both_paths() -> None:
    from revbridge.catalog.model import Aggregation, Filter, FilterOp, Meter
    from revbridge.ingest import EventRules

    rules = EventRules.from_meters([
        Meter("total", "t", Aggregation.SUM, value_property="n"),
        Meter("distinct", "t", Aggregation.UNIQUE_COUNT, value_property="n"),
        Meter("peak", "t", Aggregation.MAX, value_property="m", filters=(Filter("n", FilterOp.EQ, ("1.50",)),)),
    ])
    body = (b'[{"specversion":"1.0","id":"a","source":"s","type":"t","subject":"acme",'
            b'"time":"2025-03-01T11:00:00Z","data":{"n":7}},'
            b'{"specversion":"1.0","id":"b","source":"s","type":"t","subject":"acme",'
            b'"time":"2025-03-01T11:00:00Z","data":{"n":"1.50"}}]')
    run = lambda: ingest_body(body, BATCH, rules=rules, customer_of=CUSTOMERS.get, now=NOW)
    fast, precise = both(run)
    assert fast == precise
    result = run()
    assert [e.id for e in result.accepted] == ["a"]
    assert result.rejected[0].problems[0].field == "events[1].data.m"  # the filter saw 1.50 as sent
