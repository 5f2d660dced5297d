"""SQLite's exactly-once check and time index: tables merged in bulk, and what is newer.

Why not a unique index on (workspace, source, id): event ids are random, so every new
event lands on its own page of that index, and each commit writes one page per event to
the log and each checkpoint writes it again to the database. That costs more than
storing the event itself (``bench/sqlite_writes.py``). PostgreSQL keeps its unique index
(many writers at once need it); this module is SQLite's path.

The parts:

* ``usage_events.key_hash``: a 64-bit hash of (source, id), written with the event.
* ``usage_event_keys_recent`` and ``usage_event_keys`` (key_hash, event row): between
  them, the keys of every event up to its workspace's mark (``usage_key_marks``).
  ``merge_keys`` adds the young keys to the recent table in bulk and in key order, so
  a merge touches each page of it at most once for many keys; ``settle_keys`` moves
  the recent keys into ``usage_event_keys`` the same way once they are one in
  ``KEYS_MERGE_SHARE`` of all events (``SETTLE_AT`` at least). Random hashes put a
  merge's keys on nearly every page of its table, so a merge costs about the whole
  table: the small recent table takes the frequent merges, and the large one is
  rewritten ever more seldom as it grows, while memory holds a fixed number of young
  keys whatever the size of the database. The tables hold no workspace: entries a
  third of the size are a third of the pages each merge writes. The workspace is
  checked on the event rows a look-up finds.
* the events after the mark ("young"): each process holds their hashes in memory, per
  database and workspace, and catches up from the table itself.
* ``usage_event_times`` (workspace, type, time, customer, event row): the time index,
  merged the same way up to a mark of its own (``merge_times``). Live times spread over
  a minute or two, so as an index of ``usage_events`` it took a page write per event of
  every batch; merged in bulk, a page is written once for all the entries a merge puts
  on it. Readers take the events after its mark by id range (``meters.stored_events``).
  Its own mark, so readers have few young events to scan whatever the keys do.
  Each merge writes its table's pages in the window live events arrive in (at 25,000
  events/s and times two minutes apart, millions of entries) and a request waits for
  it, so merges come in hundreds of thousands of events, a few stalls a minute.

Why it is exact. A batch's candidates are the event rows found under its hashes, in both
keys tables and in memory; each candidate row is then read and compared on the exact
(source, id), so an extra entry (a rolled-back insert, a hash collision) can never
make a new event a duplicate. What must never happen is a stored key that neither
holds, and that holds because:

* SQLite has one writer and every check runs in a write transaction (``BEGIN
  IMMEDIATE``), so nothing commits between a check and the insert it decides;
* a transaction's first check catches memory up with every row committed since it last
  read (ids are never reused: ``AUTOINCREMENT``);
* rows a transaction inserts itself are remembered for that transaction only; shared
  memory learns them once committed: from the writer itself (``publish``, only when
  nothing else was read meanwhile) or from the table at a later catch-up;
* a merge moves the marks and adds the keys in one transaction, and memory forgets a
  row only once it reads a mark past it; a settle moves keys between the tables in one
  transaction, and a look-up reads both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import NamedTuple
from weakref import WeakKeyDictionary

import msgspec
from sqlalchemy import ColumnElement, Connection, Engine, delete, event, select, tuple_

from revbridge.ingest.envelope import key_hash
from revbridge.ingest.tables import usage_event_keys, usage_event_keys_recent, usage_event_times, usage_events

KEYS_MERGE_AT = 200_000  # young events of the whole database before the upkeep merges their keys
SETTLE_AT = 1_000_000  # recent keys before they settle into usage_event_keys
KEYS_MERGE_SHARE = 16  # ... or one in this many stored events, whichever is more
TIMES_MERGE_AT = 200_000  # young events before the upkeep merges their times
INLINE_FACTOR = 1.25  # a writer merges by itself past this many times the upkeep's thresholds (an import: its
# memory holds every young key, so more costs peak RSS: 2 measured 323 MB for 1M events, 1 measured 251 MB)

_TX_KEYS = "revbridge_tx_keys"  # Connection.info: this transaction's own inserts, per workspace
_TX_SEEN = "revbridge_tx_seen"  # Connection.info: the highest id memory had read when this transaction began
Rows = int | tuple[int, ...]  # the event row(s) under one hash: a tuple only after a collision


class _Young:
    """One database's events after the marks, as this process last read them."""

    def __init__(self) -> None:
        self.top: int | None = None  # the highest committed event id read
        self.marks: dict[str, int] = {}
        self.by_workspace: dict[str, dict[int, Rows]] = {}
        self.lock = threading.Lock()


_YOUNG: WeakKeyDictionary[Engine, _Young] = WeakKeyDictionary()
_YOUNG_LOCK = threading.Lock()


@event.listens_for(Engine, "begin")
def _new_transaction(conn: Connection) -> None:
    conn.info.pop(_TX_KEYS, None)
    conn.info.pop(_TX_SEEN, None)


def stored_keys(
    conn: Connection, workspace_id: str, keys: Sequence[tuple[str, str]], hashes: Sequence[int]
) -> dict[tuple[str, str], tuple[str, int]]:
    """``(digest, row id)`` of each of ``keys`` already stored in the workspace (SQLite)."""
    own = _transaction_keys(conn)
    young = _young(conn.engine).by_workspace.get(workspace_id, {})
    mine = own.get(workspace_id, {})
    distinct = set(hashes)
    candidates: set[int] = set()
    for held in (young, mine):
        for h in held.keys() & distinct:  # in C: most keys of a batch are new
            candidates.update(_rows(held[h]))
    listed = msgspec.json.encode(sorted(distinct)).decode()
    candidates.update(row for (row,) in conn.exec_driver_sql(_LOOK_UP, (listed, listed)))
    if not candidates:
        return {}
    wanted = set(keys)
    found = conn.exec_driver_sql(
        "SELECT source, event_id, digest, id FROM usage_events WHERE id IN (SELECT value FROM json_each(?)) "
        "AND workspace_id = ?", (msgspec.json.encode(sorted(candidates)).decode(), workspace_id))
    return {(source, eid): (digest, row) for source, eid, digest, row in found if (source, eid) in wanted}


# Each table probed once per hash, in hash order: the hashes come sorted and distinct, and
# CROSS JOIN keeps them the outer loop. (``key_hash IN (SELECT ...)`` first copies them
# into a temporary index: a quarter more time, measured on 20,000 hashes.)
_LOOK_UP = (
    "SELECT k.event_row FROM json_each(?) AS j CROSS JOIN usage_event_keys AS k ON k.key_hash = j.value "
    "UNION ALL "
    "SELECT k.event_row FROM json_each(?) AS j CROSS JOIN usage_event_keys_recent AS k ON k.key_hash = j.value"
)


class OwnInserts(NamedTuple):
    """A transaction's own inserts, for ``publish`` once it has committed."""

    engine: Engine
    seen: int  # the highest id memory had read when the transaction began
    by_workspace: dict[str, dict[int, Rows]]


def own_inserts(conn: Connection) -> OwnInserts | None:
    """What this transaction stored (SQLite), to ``publish`` after its commit; take it before."""
    mine, seen = conn.info.get(_TX_KEYS), conn.info.get(_TX_SEEN)
    return OwnInserts(conn.engine, seen, mine) if mine and seen is not None else None


def publish(own: OwnInserts | None) -> None:
    """Add a committed transaction's own inserts to memory, so the next catch-up need
    not read them back from the table (a tenth of a request's time, measured).

    Only when memory has read nothing since that transaction began: then every row up
    to its last id is either read already, one of its own, or a gap no row fills (ids
    are given past every id ever used, under the write lock). Otherwise the next
    catch-up reads them, as it would anyway. Never call it for a transaction that did
    not commit: memory would hold rows that are not there, and a new id would be skipped.
    """
    if own is None:
        return
    young = _young(own.engine)
    with young.lock:
        if young.top != own.seen:
            return
        last = own.seen
        for workspace_id, held in own.by_workspace.items():
            target = young.by_workspace.setdefault(workspace_id, {})
            last = max(last, _add_all(target, held, young.marks.get(workspace_id, 0)))
        young.top = last


def remember(conn: Connection, workspace_id: str, inserted: Sequence[tuple[int, int]]) -> None:
    """Note ``(key_hash, row id)`` pairs this transaction inserted, for its later checks."""
    mine = _transaction_keys(conn).setdefault(workspace_id, {})
    new = dict(inserted)
    if len(new) == len(inserted) and not mine.keys() & new.keys():  # no two rows under one hash: in C
        mine.update(new)
        return
    for h, row in inserted:
        _add(mine, h, row)


def next_event_id(conn: Connection) -> int:
    """The id the next event takes: past every id ever used, deleted ones too."""
    used = conn.exec_driver_sql(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'usage_events'), 0), "
        "coalesce((SELECT max(id) FROM usage_events), 0))").scalar_one()
    return int(used) + 1


def merge_due(conn: Connection, inline: bool = False) -> int:
    """Run each merge whose young events reached its threshold, in the caller's
    transaction (``inline``: a writer without upkeep, at ``INLINE_FACTOR`` times the
    thresholds); returns the events merged."""
    factor = INLINE_FACTOR if inline else 1
    return sum(merge.run(conn) for merge in _MERGES if merge.due(conn, factor))


def merge_when_due(engine: Engine) -> int:
    """The upkeep's merges, those that are due, in one transaction (SQLite); returns the events merged.

    Together, so a request waits once for both when both are due, not twice.
    """
    if engine.dialect.name != "sqlite":
        return 0
    with engine.begin() as conn:
        return merge_due(conn)


def merge_young(conn: Connection) -> int:
    """Every merge now, whatever waits (a bulk load, a test); returns the keys merged."""
    merge_times(conn)
    merged = merge_keys(conn)
    settle_keys(conn)
    return merged


def merge_keys(conn: Connection) -> int:
    """Add the keys of every event after the marks to ``usage_event_keys_recent``; returns how many.

    In key order, in one statement; then every workspace's mark moves to the highest
    id. Runs in the caller's transaction (SQLite's write lock), so it is all or nothing.
    """
    return _merge_after(conn, "through_id", "usage_event_keys_recent (key_hash, event_row)", "e.key_hash, e.id",
                        before=_fill_hashes)


def settle_keys(conn: Connection) -> int:
    """Move every recent key into ``usage_event_keys``, in key order; returns how many.

    Then every workspace's settled mark moves to the lowest keys mark: each key up to
    it is settled. In the caller's transaction, so a look-up sees each key in exactly
    one of the two tables.
    """
    through = _low(conn, "through_id")
    moved = conn.exec_driver_sql(
        "INSERT INTO usage_event_keys (key_hash, event_row) "
        "SELECT key_hash, event_row FROM usage_event_keys_recent ORDER BY 1, 2").rowcount
    conn.exec_driver_sql("DELETE FROM usage_event_keys_recent")
    conn.exec_driver_sql("UPDATE usage_key_marks SET settled_through_id = ?", (through,))
    return int(moved)


def merge_times(conn: Connection) -> int:
    """Add the time index entries of every event after the time marks to
    ``usage_event_times``; returns how many. Like ``merge_keys``, with its own mark."""
    return _merge_after(conn, "times_through_id",
                        "usage_event_times (workspace_id, type, time, customer_id, event_row)",
                        "e.workspace_id, e.type, e.time, e.customer_id, e.id")


def _merge_after(
    conn: Connection, mark: str, target: str, columns: str, before: Callable[[Connection, int, int], None] | None = None
) -> int:
    """Insert ``columns`` of every event past its workspace's ``mark`` into ``target``,
    in the target's key order, then move every workspace's ``mark`` to the highest id.

    ``before(conn, low, top)`` runs first over the range the merge reads.
    """
    top, low = _top_and_low(conn, mark)
    if top <= low:
        return 0
    if before is not None:
        before(conn, low, top)
    order = ", ".join(str(n + 1) for n in range(columns.count(",") + 1))
    merged = conn.exec_driver_sql(
        f"INSERT INTO {target} SELECT {columns} FROM usage_events AS e "
        "LEFT JOIN usage_key_marks AS m ON m.workspace_id = e.workspace_id "
        f"WHERE e.id > ? AND e.id <= ? AND e.id > coalesce(m.{mark}, 0) ORDER BY {order}", (low, top)).rowcount
    conn.exec_driver_sql(  # a workspace without marks gets its row
        "INSERT INTO usage_key_marks (workspace_id, through_id, times_through_id, settled_through_id) "
        "SELECT id, 0, 0, 0 FROM workspaces WHERE true ON CONFLICT (workspace_id) DO NOTHING")
    conn.exec_driver_sql(f"UPDATE usage_key_marks SET {mark} = ?", (top,))
    return int(merged)


class _Merge(NamedTuple):
    run: Callable[[Connection], int]
    mark: str  # its column of usage_key_marks
    threshold: Callable[[int], int]  # events past its mark before it is due, given the highest id
    upper: str | None = None  # the mark it runs up to (None: the highest id)

    def due(self, conn: Connection, factor: float) -> bool:
        top = _top(conn)
        upper = top if self.upper is None else _low(conn, self.upper)
        return upper - min(_low(conn, self.mark), upper) >= self.threshold(top) * factor


_MERGES = (  # in this order: a settle takes the keys a merge just added
    _Merge(merge_times, "times_through_id", lambda top: TIMES_MERGE_AT),
    _Merge(merge_keys, "through_id", lambda top: KEYS_MERGE_AT),
    _Merge(settle_keys, "settled_through_id", lambda top: max(SETTLE_AT, top // KEYS_MERGE_SHARE), "through_id"),
)


def forget_keys(conn: Connection, workspace_id: str, doomed: ColumnElement[bool]) -> None:
    """Drop the merged keys and times of the events ``doomed`` selects, before they are deleted."""
    if conn.dialect.name != "sqlite":
        return
    pairs = select(usage_events.c.key_hash, usage_events.c.id).where(doomed)
    for keys in (usage_event_keys, usage_event_keys_recent):
        conn.execute(delete(keys).where(tuple_(keys.c.key_hash, keys.c.event_row).in_(pairs)))
    times = usage_event_times
    entries = select(usage_events.c.type, usage_events.c.time, usage_events.c.customer_id, usage_events.c.id).where(
        doomed)
    conn.execute(delete(times).where(
        times.c.workspace_id == workspace_id,
        tuple_(times.c.type, times.c.time, times.c.customer_id, times.c.event_row).in_(entries)))


# --- memory ------------------------------------------------------------------------


def _young(engine: Engine) -> _Young:
    with _YOUNG_LOCK:
        found = _YOUNG.get(engine)
        if found is None:
            found = _YOUNG[engine] = _Young()
        return found


def _transaction_keys(conn: Connection) -> dict[str, dict[int, Rows]]:
    """This transaction's own inserts; the first call of a transaction catches memory up."""
    mine = conn.info.get(_TX_KEYS)
    if mine is None:
        conn.info[_TX_SEEN] = _catch_up(conn, _young(conn.engine))
        mine = conn.info[_TX_KEYS] = {}
    return mine  # type: ignore[no-any-return]


def _catch_up(conn: Connection, young: _Young) -> int:
    """Bring memory up to the committed table: called before the transaction inserts
    anything. Returns the highest id read."""
    with young.lock:
        marks = dict(conn.exec_driver_sql("SELECT workspace_id, through_id FROM usage_key_marks").all())
        top = _top(conn)
        if young.top is None:  # a new process: every mark is read already, so start at the lowest
            young.top = min(_low(conn, "through_id"), top)
        for workspace_id, mark in marks.items():
            held = young.by_workspace.get(workspace_id)
            if held and young.marks.get(workspace_id) != mark:
                young.by_workspace[workspace_id] = _after(held, mark)
        young.marks = marks
        if top > young.top:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # rows by the thousand
            for workspace_id, h, row, source, eid in cursor.execute(
                "SELECT workspace_id, key_hash, id, iif(key_hash IS NULL, source, NULL), "
                "iif(key_hash IS NULL, event_id, NULL) FROM usage_events WHERE id > ? AND id <= ?", (young.top, top)
            ):
                if row > marks.get(workspace_id, 0):
                    _add(young.by_workspace.setdefault(workspace_id, {}), key_hash(source, eid) if h is None else h, row)
        young.top = top
        return top


def _top_and_low(conn: Connection, column: str) -> tuple[int, int]:
    """The highest event id, and the lowest ``column`` mark of any workspace, no higher."""
    top = _top(conn)
    return top, min(_low(conn, column), top)


def _top(conn: Connection) -> int:
    return int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM usage_events").scalar_one())


def _low(conn: Connection, column: str) -> int:
    """The lowest ``column`` mark of any workspace (0 for one without marks)."""
    return int(conn.exec_driver_sql(
        f"SELECT coalesce(min(coalesce(m.{column}, 0)), 0) FROM workspaces AS w "
        "LEFT JOIN usage_key_marks AS m ON m.workspace_id = w.id").scalar_one())


def _fill_hashes(conn: Connection, low: int, top: int) -> None:
    """Hash the keys of events a writer stored without one (a bulk load, an older release)."""
    missing = conn.exec_driver_sql(
        "SELECT id, source, event_id FROM usage_events WHERE id > ? AND id <= ? AND key_hash IS NULL",
        (low, top)).all()
    if missing:
        conn.exec_driver_sql("UPDATE usage_events SET key_hash = ? WHERE id = ?",
                             [(key_hash(source, eid), row) for row, source, eid in missing])


def _rows(held: Rows) -> tuple[int, ...]:
    return held if isinstance(held, tuple) else (held,)


def _add(held: dict[int, Rows], h: int, row: int) -> None:
    known = held.get(h)
    if known is None:
        held[h] = row
    elif row not in _rows(known):
        held[h] = (*_rows(known), row)  # two keys with one hash: both stay candidates


def _add_all(target: dict[int, Rows], held: dict[int, Rows], mark: int) -> int:
    """Add ``held``'s rows after ``mark`` to ``target``; returns the highest row (0 for none)."""
    if not held:
        return 0
    if all(type(rows) is int for rows in held.values()):
        low, high = min(held.values()), max(held.values())
        if low > mark and not target.keys() & held.keys():  # the usual case, in C
            target.update(held)
            return high  # type: ignore[return-value]
    last = 0
    for h, rows in held.items():
        for row in _rows(rows):
            last = max(last, row)
            if row > mark:
                _add(target, h, row)
    return last


def _after(held: dict[int, Rows], mark: int) -> dict[int, Rows]:
    """The rows after ``mark``: single rows by a comprehension, the rare shared hashes one by one."""
    kept: dict[int, Rows] = {h: rows for h, rows in held.items() if type(rows) is int and rows > mark}
    for h, rows in held.items():
        if type(rows) is not int:
            for row in rows:  # type: ignore[union-attr]
                if row > mark:
                    _add(kept, h, row)
    return kept


__all__ = [
    "OwnInserts", "forget_keys", "key_hash", "merge_due", "merge_keys", "merge_times", "merge_when_due", "merge_young",
    "next_event_id", "own_inserts", "publish", "remember", "settle_keys", "stored_keys",
]
