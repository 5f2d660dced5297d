"""Accepted events as one flat list (``ingest.rows``), and the ids SQLite gives them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from revbridge.ingest.envelope import Fields
from revbridge.ingest.rows import CUSTOMER, DIGEST, KEY_HASH, TIME, WIDTH, EventRows
from revbridge.store.types import sqlite_instant

from .store_fixtures import UsageWorld


def _fields(n: int, moment: datetime) -> Fields:
    return ("src", f"e{n}", "api.request", f"cus_{n % 3}", moment, f"{n:064x}", b"{}", n * 7919)


def test_rows_keep_each_event_s_fields_in_order_with_times_as_stored_text() -> None:
    base = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    events = [_fields(n, base + timedelta(microseconds=n * 250_000)) for n in range(5)]
    rows = EventRows.of_fields(events)
    assert len(rows) == 5
    assert rows.column(TIME) == [sqlite_instant(e[4]) for e in events]
    assert rows.column(KEY_HASH) == [n * 7919 for n in range(5)]
    assert rows.dedup_keys() == [("src", f"e{n}") for n in range(5)]
    assert list(rows)[3] == rows.row(3) == ["src", "e3", "api.request", "cus_0", sqlite_instant(events[3][4]),
                                            f"{3:064x}", b"{}", 3 * 7919]
    taken = rows.take([4, 1])
    assert taken.column(DIGEST) == [f"{4:064x}", f"{1:064x}"]
    taken.extend(EventRows.of_fields(events[:1]))
    assert taken.column(CUSTOMER) == ["cus_1", "cus_1", "cus_0"]
    assert EventRows.of([]) == EventRows() and not EventRows()


def test_a_flat_list_that_is_not_whole_rows_is_refused() -> None:
    with pytest.raises(ValueError, match=f"multiple of {WIDTH}"):
        EventRows(["src", "e1"])


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL returns the rows it inserted
def test_events_given_other_ids_than_the_store_counted_on_fail_the_batch(
    usage_world: UsageWorld, event: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys in memory name each new row by the id it is given; were SQLite to give
    others, the batch fails instead of remembering wrong rows."""
    from revbridge.ingest import store

    counted = store.next_event_id
    monkeypatch.setattr(store, "next_event_id", lambda conn: counted(conn) + 1)
    with pytest.raises(RuntimeError, match="were given ids up to"):
        usage_world.send([event(), event()])
    monkeypatch.setattr(store, "next_event_id", counted)
    assert usage_world.send([event(id="after")]).counts.accepted == 1
