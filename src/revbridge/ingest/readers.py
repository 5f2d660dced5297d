"""Streaming readers for ``revbridge events import FILE``: JSON Lines, CSV and Parquet.

Each reader yields batches of ``RawRecord`` (the event's JSON text or a record built
from columns, plus its ``file:line``) and holds only one batch in memory, so a file of
any size imports in constant memory. Readers never judge events: ``envelope.
ingest_records`` does, so a file import and the HTTP endpoint accept exactly the same
events. A reader only reports what it alone can see (a line too long to read, a row
with the wrong number of cells, a numeric column that is not a number) as problems on
the record, and carries on: an import never stops at a bad line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from revbridge.errors import Problem, ValidationError
from revbridge.ingest.envelope import RawRecord
from revbridge.ingest.limits import DEFAULT_LIMITS
from revbridge.ingest.quantity import parse_quantity

DEFAULT_BATCH_SIZE = 1_000
_BLOCK = 256 * 1024  # bytes a JSON Lines reader reads at a time
ATTRIBUTES = ("id", "source", "type", "subject", "time")
_OPTIONAL_ATTRIBUTES = ("specversion", "datacontenttype", "dataschema")

Batch = list[RawRecord]


def read_events(
    path: str | Path, mapping: ColumnMapping | None = None, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[Batch]:
    """Batches from any supported file, chosen by its suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path, batch_size=batch_size)
    if suffix == ".csv":
        return read_csv(path, mapping or ColumnMapping(), batch_size=batch_size)
    if suffix == ".parquet":
        return read_parquet(path, mapping or ColumnMapping(), batch_size=batch_size)
    raise ValidationError("file", "expected a .jsonl, .ndjson, .csv or .parquet file", str(path))


# --- JSON Lines ---------------------------------------------------------------------------


def read_jsonl(
    path: str | Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_line_bytes: int = DEFAULT_LIMITS.max_body_bytes,
) -> Iterator[Batch]:
    """One event per line. Blank lines are skipped; their numbers still count.

    A line longer than ``max_line_bytes`` is not read into memory: the record keeps its
    first kilobyte for the person fixing it, and a problem saying why.
    """
    with open(path, "rb") as stream:
        yield from _rebatched(_jsonl_records(stream, str(path), max_line_bytes), batch_size)


def _jsonl_records(
    stream: IO[bytes], name: str, max_line_bytes: int, block: int = _BLOCK
) -> Iterator[list[RawRecord]]:
    """The file's lines as records, a list for each block read: a ``readline`` per line
    cost a fifth of what validating a line costs, and a generator step and a
    ``NamedTuple`` call per line a twentieth (both measured). A block whose lines all
    fit makes its records in one comprehension, with the tuple built in C."""
    number = 0
    tail = b""
    end = False
    while not end:
        chunk = stream.read(block)
        end = not chunk
        lines = (tail + chunk).split(b"\n")
        tail = b"" if end else lines.pop()  # the line the next block finishes
        if max(map(len, lines), default=0) <= max_line_bytes:
            yield [_new_record(RawRecord, (text, f"{name}:{at}", ()))
                   for at, line in enumerate(lines, number + 1) if (text := line.strip())]
        else:
            yield [
                _too_long(line, name, at, max_line_bytes) if len(line) > max_line_bytes else RawRecord(text, f"{name}:{at}")
                for at, line in enumerate(lines, number + 1) if len(line) > max_line_bytes or (text := line.strip())
            ]
        number += len(lines)
        if len(tail) > max_line_bytes:  # the rest of this line is skipped, never held
            number += 1
            yield [_too_long(tail, name, number, max_line_bytes)]
            tail = _after_line(stream, block)


_new_record = tuple.__new__  # RawRecord's own constructor is a Python function


def _too_long(line: bytes, name: str, number: int, max_line_bytes: int) -> RawRecord:
    problem = Problem("event", f"line longer than {max_line_bytes} bytes")
    return RawRecord(line[:min(1024, max_line_bytes + 1)], f"{name}:{number}", (problem,))  # as far as it was read


def _after_line(stream: IO[bytes], block: int) -> bytes:
    """Read past the end of the current line; what follows it in the last block read."""
    while chunk := stream.read(block):
        _, newline, rest = chunk.partition(b"\n")
        if newline:
            return rest
    return b""


# --- columns: CSV and Parquet -------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns feed which CloudEvents attribute, and which become ``data``.

    ``attributes`` maps an attribute (id, source, type, subject, time, and optionally
    specversion, datacontenttype, dataschema) to its column; by default each is read
    from the column of the same name. ``constants`` gives an attribute one value for the
    whole file instead (a CSV export rarely carries ``source`` or ``type``);
    ``specversion`` defaults to ``1.0``. ``data`` maps a data property to its column;
    ``None`` puts every column not used for an attribute into ``data`` under its own
    name. Properties named in ``numeric`` are parsed as exact decimals (CSV cells are
    text otherwise). Empty cells are left out of the event.
    """

    attributes: Mapping[str, str] = field(default_factory=lambda: {a: a for a in ATTRIBUTES})
    data: Mapping[str, str] | None = None
    numeric: frozenset[str] = frozenset()
    constants: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = set(ATTRIBUTES) | set(_OPTIONAL_ATTRIBUTES)
        unknown = (set(self.attributes) | set(self.constants)) - known
        if unknown:
            raise ValueError(f"not CloudEvents attributes: {', '.join(sorted(unknown))}")
        if self.data is not None and not self.numeric <= set(self.data):
            missing = ", ".join(sorted(self.numeric - set(self.data)))
            raise ValueError(f"numeric properties not mapped to a column: {missing}")

    def plan(self, columns: Sequence[str], source: str) -> _Plan:
        """Column positions for a file's header; refuses a mapping the file cannot meet."""
        position = {name: i for i, name in enumerate(columns)}
        mapped = {a: c for a, c in self.attributes.items() if a not in self.constants}
        missing = [c for c in mapped.values() if c not in position]
        data = self.data
        if data is None:
            used = set(mapped.values())
            data = {c: c for c in columns if c not in used}
        missing += [c for c in data.values() if c not in position]
        if missing:
            raise ValidationError("columns", "not in the file: " + ", ".join(missing), source=source)
        constants = {"specversion": "1.0", **self.constants}
        return _Plan(
            attributes=tuple((a, position[c]) for a, c in mapped.items()),
            data=tuple((p, position[c], p in self.numeric) for p, c in data.items()),
            constants=constants,
        )


@dataclass(frozen=True)
class _Plan:
    attributes: tuple[tuple[str, int], ...]
    data: tuple[tuple[str, int, bool], ...]
    constants: dict[str, str]

    @property
    def columns(self) -> list[int]:
        return sorted({i for _, i in self.attributes} | {i for _, i, _ in self.data})

    def record(self, values: Sequence[Any], source: str) -> RawRecord:
        """An event from one row's values; cell problems travel with it."""
        event: dict[str, Any] = dict(self.constants)
        for attribute, index in self.attributes:
            value = values[index]
            if value is not None and value != "":
                event[attribute] = _attribute_value(value)
        problems: list[Problem] = []
        data: dict[str, Any] = {}
        for name, index, numeric in self.data:
            value = values[index]
            if value is None or value == "":
                continue
            if numeric or type(value) is float:  # no float goes further, numeric or not
                try:
                    value = parse_quantity(value)
                except ValueError as refused:
                    problems.append(Problem("data." + name, str(refused), value, source))
            data[name] = value
        event["data"] = data
        return RawRecord(event, source, tuple(problems))


def _attribute_value(value: Any) -> Any:
    """Integer ids and subjects from typed files read as the text CloudEvents expects."""
    if type(value) is int:
        return str(value)
    return value


def read_csv(
    path: str | Path,
    mapping: ColumnMapping,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Iterator[Batch]:
    """Rows of a CSV file with a header line; positions are the row's first line."""
    name = str(path)
    with open(path, newline="", encoding=encoding) as stream:
        rows = csv.reader(stream, delimiter=delimiter)
        header = next(rows, None)
        if header is None:
            return
        plan = mapping.plan(header, name)
        yield from _batched(_csv_records(rows, plan, len(header), name), batch_size)


def _csv_records(
    rows: Any, plan: _Plan, width: int, name: str
) -> Iterator[RawRecord]:
    line = rows.line_num
    while True:
        start = line + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as broken:  # e.g. a field over the csv module's size limit
            line = rows.line_num
            yield RawRecord(b"", f"{name}:{start}", (Problem("row", str(broken)),))
            continue
        line = rows.line_num
        source = f"{name}:{start}"
        if len(row) == width:
            yield plan.record(row, source)
            continue
        record = plan.record(row + [""] * (width - len(row)), source)
        problem = Problem("row", f"{len(row)} cells, the header has {width}", source=source)
        yield record._replace(problems=(problem, *record.problems))


def read_parquet(
    path: str | Path, mapping: ColumnMapping, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[Batch]:
    """Rows of a Parquet file, read batch by batch and only the mapped columns.

    Timestamps arrive as datetimes (a column without a time zone gives naive ones,
    which the envelope refuses), doubles through their shortest decimal text.
    """
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # only file imports need it

    name = str(path)
    with pq.ParquetFile(path) as parquet:
        names = parquet.schema_arrow.names
        wanted = [names[i] for i in mapping.plan(names, name).columns]
        plan = mapping.plan(wanted, name)
        row = 0
        for chunk in parquet.iter_batches(batch_size=batch_size, columns=wanted):
            columns = [chunk.column(i).to_pylist() for i in range(chunk.num_columns)]
            batch: Batch = []
            for values in zip(*columns, strict=True):
                row += 1
                batch.append(plan.record(values, f"{name}:row {row}"))
            yield batch


def _batched(records: Iterable[RawRecord], size: int) -> Iterator[Batch]:
    source = iter(records)
    while batch := list(islice(source, size)):
        yield batch


def _rebatched(lists: Iterable[list[RawRecord]], size: int) -> Iterator[Batch]:
    """Records from lists of any length, in batches of ``size`` (the last one may be shorter)."""
    batch: Batch = []
    for records in lists:
        batch += records
        while len(batch) >= size:
            yield batch[:size]
            batch = batch[size:]
    if batch:
        yield batch


__all__ = [
    "ATTRIBUTES",
    "DEFAULT_BATCH_SIZE",
    "Batch",
    "ColumnMapping",
    "read_csv",
    "read_events",
    "read_jsonl",
    "read_parquet",
]
