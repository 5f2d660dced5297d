"""File readers: JSON Lines, CSV, Parquet; bad rows never stop an import; constant memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revbridge.errors import ValidationError
from revbridge.ingest import (
    ColumnMapping,
    ingest_records,
    read_csv,
    read_events,
    read_jsonl,
    read_parquet,
)

from .conftest import CUSTOMERS, NOW, RULES

MakeEvent = Callable[..., dict[str, Any]]


def import_all(batches: Any) -> tuple[list[Any], list[Any]]:
    accepted, rejected = [], []
    for batch in batches:
        result = ingest_records(batch, rules=RULES, customer_of=CUSTOMERS.get, now=NOW)
        accepted += result.accepted
        rejected += result.rejected
    return accepted, rejected


def test_jsonl_with_a_bad_line(tmp_path: Path, make_event: MakeEvent) -> None:
    path = tmp_path / "events.jsonl"
    lines = [msgspec.json.encode(make_event()) for _ in range(5)]
    lines[2] = b'{"id": "broken", '
    lines.insert(4, b"   ")  # blank: skipped, still numbered
    path.write_bytes(b"\n".join(lines) + b"\n")
    batches = list(read_jsonl(path, batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    accepted, rejected = import_all(batches)
    assert len(accepted) == 4
    (bad,) = rejected
    assert bad.source == f"{path}:3"
    assert bad.raw == '{"id": "broken",'
    assert str(bad.problems[0]).startswith(f"{path}:3: event: malformed JSON")
    assert [r.source for b in batches for r in b][-1] == f"{path}:6"


def test_jsonl_line_over_the_limit_is_skipped_not_read(tmp_path: Path, make_event: MakeEvent) -> None:
    path = tmp_path / "events.jsonl"
    good = msgspec.json.encode(make_event())
    path.write_bytes(b'{"pad": "' + b"x" * 5000 + b'"}\n' + good + b"\n")
    (batch,) = read_jsonl(path, max_line_bytes=1000)
    assert batch[0].problems[0].reason == "line longer than 1000 bytes"
    assert len(batch[0].payload) <= 1024
    accepted, rejected = import_all([batch])
    assert len(accepted) == 1 and len(rejected) == 1
    assert len(rejected[0].problems) == 1


def test_csv_with_a_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(
        "event_id,customer,at,tokens,region,user,ignored\n"
        "e1,acme,2025-03-01T10:00:00Z,12.50,us,u1,x\n"
        'e2,globex,2025-03-01T10:00:00Z,"1,5",us,u2,x\n'
        "e3,acme,2025-03-01T10:00:00Z,7,us\n"
        "e4,acme,2025-03-01T10:00:00Z,,us,u4,x\n"
    )
    mapping = ColumnMapping(
        attributes={"id": "event_id", "subject": "customer", "time": "at"},
        constants={"source": "import:usage.csv", "type": "api.request"},
        data={"tokens": "tokens", "region": "region", "user": "user"},
        numeric=frozenset({"tokens"}),
    )
    accepted, rejected = import_all(read_csv(path, mapping))
    (e1,) = accepted
    assert (e1.id, e1.source, e1.customer_id) == ("e1", "import:usage.csv", "cus_1")
    assert e1.data == {"tokens": Decimal("12.5"), "region": "us", "user": "u1"}
    reasons = {r.source: [str(p) for p in r.problems] for r in rejected}
    assert reasons[f"{path}:3"] == [
        f"{path}:3: data.tokens: expected a number, got a string that is not a JSON number (got '1,5')"
    ]
    assert reasons[f"{path}:4"][0] == f"{path}:4: row: 5 cells, the header has 7"
    assert reasons[f"{path}:5"] == [f"{path}:5: data.tokens: required by meter tokens"]


def test_csv_default_mapping_and_multiline_cells(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "id,source,type,subject,time,tokens,user,note\n"
        'a,s,api.request,acme,2025-03-01T10:00:00Z,3,u,"two\nlines"\n'
        "b,s,api.request,acme,2025-03-01T10:00:00Z,4,u,\n"
    )
    batches = list(read_events(path, ColumnMapping(numeric=frozenset({"tokens"}))))
    assert [r.source for r in batches[0]] == [f"{path}:2", f"{path}:4"]
    accepted, rejected = import_all(batches)
    assert not rejected
    assert accepted[0].data == {"tokens": Decimal(3), "user": "u", "note": "two\nlines"}


def test_csv_mapping_names_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,when\n1,2\n")
    with pytest.raises(ValidationError, match="not in the file: source, type, subject, time"):
        list(read_csv(path, ColumnMapping()))


def test_mapping_refuses_what_is_not_an_attribute() -> None:
    with pytest.raises(ValueError, match="not CloudEvents attributes: customer"):
        ColumnMapping(attributes={"customer": "c"})
    with pytest.raises(ValueError, match="numeric properties not mapped"):
        ColumnMapping(data={"a": "a"}, numeric=frozenset({"b"}))


def test_parquet_written_by_pyarrow(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = 2_500
    table = pa.table({
        "id": pa.array(range(rows), pa.int64()),
        "source": ["//pq"] * rows,
        "type": ["api.request"] * rows,
        "subject": ["acme", "globex", "nobody", "acme", "acme"] * (rows // 5),
        "time": pa.array([datetime(2025, 3, 1, 10, tzinfo=UTC)] * rows, pa.timestamp("us", tz="UTC")),
        "tokens": pa.array([0.1, 2.0, 3.0, float("nan"), 5.0] * (rows // 5), pa.float64()),
        "user": ["u"] * rows,
        "unused": ["x"] * rows,
    })
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, row_group_size=1_000)
    mapping = ColumnMapping(data={"tokens": "tokens", "user": "user"})
    batches = list(read_parquet(path, mapping, batch_size=400))
    assert max(len(b) for b in batches) <= 400
    accepted, rejected = import_all(batches)
    assert len(accepted) == rows * 3 // 5
    assert accepted[0].id == "0" and accepted[0].data["tokens"] == Decimal("0.1")
    assert {r.problems[0].reason for r in rejected} == {"unknown customer", "expected a finite number"}
    assert rejected[0].source == f"{path}:row 3"


def test_parquet_naive_timestamps_are_refused(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"id": ["a"], "source": ["s"], "type": ["audit.login"], "subject": ["acme"],
                      "time": pa.array([datetime(2025, 3, 1, 10)], pa.timestamp("us"))})
    path = tmp_path / "naive.parquet"
    pq.write_table(table, path)
    _, rejected = import_all(read_events(path))
    assert rejected[0].problems[0].reason.startswith("no UTC offset")


def test_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        read_events(tmp_path / "events.xml")


def test_jsonl_reads_in_constant_memory(tmp_path: Path, make_event: MakeEvent) -> None:
    path = tmp_path / "big.jsonl"
    line = msgspec.json.encode(make_event()) + b"\n"
    with open(path, "wb") as out:
        out.writelines(line * 1_000 for _ in range(200))
    assert path.stat().st_size > 200_000 * len(line) - 1
    tracemalloc.start()
    try:
        count = 0
        for batch in read_jsonl(path, batch_size=1_000):
            count += len(batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 2_000_000, f"peak {peak} bytes for a {path.stat().st_size}-byte file"


def test_csv_reads_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with open(path, "w") as out:
        out.write("id,source,type,subject,time,tokens\n")
        row = "e,s,api.request,acme,2025-03-01T10:00:00Z,1\n"
        out.writelines(row * 1_000 for _ in range(200))
    tracemalloc.start()
    try:
        count = sum(len(b) for b in read_csv(path, ColumnMapping(numeric=frozenset({"tokens"}))))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 3_000_000


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")) | st.sampled_from([b"", b" \r"]),
                      max_size=12),
       final_newline=st.booleans(), limit=st.integers(1, 30), block=st.integers(1, 20))
def test_jsonl_lines_read_by_blocks_are_the_lines_of_the_file(
    lines: list[bytes], final_newline: bool, limit: int, block: int
) -> None:
    import io

    from revbridge.ingest.readers import _jsonl_records

    content = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    expected = []
    for number, line in enumerate(content.split(b"\n"), 1):
        if len(line) > limit:
            expected.append((line[:limit + 1], f"f:{number}", f"line longer than {limit} bytes"))
        elif line.strip():
            expected.append((line.strip(), f"f:{number}", None))
    got = [(r.payload, r.source, r.problems[0].reason if r.problems else None)
           for records in _jsonl_records(io.BytesIO(content), "f", limit, block) for r in records]
    assert got == expected


@given(lengths=st.lists(st.integers(0, 7), max_size=8), size=st.integers(1, 5))
def test_records_from_blocks_of_any_length_come_in_batches_of_the_size_asked(lengths: list[int], size: int) -> None:
    from revbridge.ingest.envelope import RawRecord
    from revbridge.ingest.readers import _rebatched

    counter = iter(range(100))
    lists = [[RawRecord(b"{}", f"f:{next(counter)}") for _ in range(n)] for n in lengths]
    batches = list(_rebatched(lists, size))
    assert [r for batch in batches for r in batch] == [r for records in lists for r in records]
    assert all(len(batch) == size for batch in batches[:-1]) and all(0 < len(b) <= size for b in batches)
