"""What a batch of usage events costs SQLite to store, by index: the floor under ingest.

    .venv/bin/python bench/sqlite_writes.py            # 300,000 stored, 100 batches of 1,000
    .venv/bin/python bench/sqlite_writes.py --quick    # 50,000 stored, 50 batches (CI)

Plain sqlite3 with revbridge's pragmas (16 KB pages, WAL, synchronous=NORMAL, 16 MB cache), a table
shaped like ``usage_events``, events with random ids (uuid4), 1,000 customers and times
a minute or so behind "now" (as live usage arrives). For each set of indexes it prints
microseconds per event for the insert, the commit, and a passive checkpoint of the log,
once after every batch and once every 50 batches (what ``serve``'s upkeep thread does
instead of checkpointing in line):

- ``table_only``: no index but the row id;
- ``dedup``: the unique (workspace, source, id) index alone;
- ``dedup_customer_major``: plus (workspace, customer, type, time), the index before 0007;
- ``dedup_time_major``: plus (workspace, type, time, customer), the index since 0007.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

WS = "ws_01JBQ7R4Z8X2N5M3K9P6T1V0WC"
VARIANTS = {
    "table_only": [],
    "dedup": ["CREATE UNIQUE INDEX dedup ON ev(ws, source, event_id)"],
    "dedup_customer_major": ["CREATE UNIQUE INDEX dedup ON ev(ws, source, event_id)",
                             "CREATE INDEX by_customer ON ev(ws, customer_id, type, time)"],
    "dedup_time_major": ["CREATE UNIQUE INDEX dedup ON ev(ws, source, event_id)",
                         "CREATE INDEX by_time ON ev(ws, type, time, customer_id)"],
}
INSERT = ("INSERT INTO ev (ws, source, event_id, type, customer_id, time, digest, payload, received, late) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")


def rows(rng: random.Random, count: int, at: datetime) -> list[tuple[object, ...]]:
    made = []
    for _ in range(count):
        moment = (at - timedelta(seconds=rng.random() * 60)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        made.append((WS, "//api.bench", uuid.uuid4().hex, "api.request", f"cus_{rng.randrange(1000):026d}",
                     moment, "d" * 64, b"p" * 220, moment, 0))
    return sorted(made, key=lambda r: r[2])  # as store_batch sends them: sorted by key


def measure(folder: Path, name: str, stored: int, batches: int, checkpoint_every: int) -> dict[str, float]:
    path = folder / f"{name}_{checkpoint_every}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("page_size=16384", "journal_mode=WAL", "synchronous=NORMAL", "cache_size=-16384",
                   "wal_autocheckpoint=0"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE ev (id INTEGER PRIMARY KEY, ws TEXT, source TEXT, event_id TEXT, type TEXT, "
                 "customer_id TEXT, time TEXT, digest TEXT, payload BLOB, received TEXT, late INT)")
    for ddl in VARIANTS[name]:
        conn.execute(ddl)
    rng, now = random.Random(1), datetime.now(UTC)
    chunks = stored // 10_000
    conn.execute("BEGIN")
    for n in range(chunks):  # what is stored already spans the past 30 days
        conn.executemany(INSERT, rows(rng, 10_000, now - timedelta(days=30) * (chunks - n) / chunks))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    spent = {"insert": 0.0, "commit": 0.0, "checkpoint": 0.0}
    for n in range(batches):
        batch = rows(rng, 1_000, now + timedelta(milliseconds=50 * n))
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT, batch)
        t1 = time.perf_counter()
        conn.execute("COMMIT")
        t2 = time.perf_counter()
        if (n + 1) % checkpoint_every == 0:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        spent["insert"] += t1 - t0
        spent["commit"] += t2 - t1
        spent["checkpoint"] += time.perf_counter() - t2
    conn.close()
    return {part: seconds / (batches * 1_000) * 1e6 for part, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts, for CI")
    args = parser.parse_args()
    stored, batches = (50_000, 50) if args.quick else (300_000, 100)
    print(f"bench_mode: {'quick' if args.quick else 'full'} (stored {stored:,}, batches of 1,000)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in VARIANTS:
            for every in (1, 50):
                us = measure(Path(tmp), name, stored, batches, every)
                label = f"sqlite_{name}_checkpoint_every_{every}"
                for part, value in us.items():
                    print(f"{label}_{part}_us: {value:.1f} us/event", flush=True)
                print(f"{label}_total_us: {sum(us.values()):.1f} us/event", flush=True)


if __name__ == "__main__":
    main()
