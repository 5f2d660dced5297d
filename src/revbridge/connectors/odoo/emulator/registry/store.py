"""In-memory tables with an undo log: the emulator's database.

Why an undo log rather than copying the state per call: Odoo runs every RPC call in one
database transaction, so a failing call must leave nothing behind. Recording the old
value of each touched row costs O(changes) per call, where a snapshot would cost O(state).

Id sequences are deliberately *not* rolled back, as in PostgreSQL: a failed create still
consumes its id (the recorded "Draft Entry (* 177)" fault names an id nobody ever sees).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Row = dict[str, Any]


class Store:
    """Rows per model (``model -> id -> {field: value}``) plus a small transactional
    key/value area for counters such as journal sequence numbers."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[int, Row]] = {}
        self._next_id: dict[str, int] = {}
        self._meta: dict[str, Any] = {}
        self._undo: list[tuple[Any, ...]] | None = None

    # -- transactions -------------------------------------------------------------
    def begin(self) -> None:
        """Start recording undo entries; calls do not nest."""
        self._undo = []

    def commit(self) -> None:
        self._undo = None

    def rollback(self) -> None:
        """Undo every change since :meth:`begin`, newest first."""
        undo, self._undo = self._undo or [], None
        for entry in reversed(undo):
            kind = entry[0]
            if kind == "insert":
                self._tables[entry[1]].pop(entry[2], None)
            elif kind == "update":
                self._tables[entry[1]][entry[2]].update(entry[3])
            elif kind == "delete":
                self._tables[entry[1]][entry[2]] = entry[3]
            elif kind == "meta":
                if entry[2] is _MISSING:
                    self._meta.pop(entry[1], None)
                else:
                    self._meta[entry[1]] = entry[2]

    def _log(self, *entry: Any) -> None:
        if self._undo is not None:
            self._undo.append(entry)

    # -- ids ----------------------------------------------------------------------
    def next_id(self, model: str) -> int:
        """Take the next id of ``model``; never given back (see module docstring)."""
        value = self._next_id.get(model, 1)
        self._next_id[model] = value + 1
        return value

    def set_next_id(self, model: str, value: int) -> None:
        """Force the next id of ``model``: the seed places records at Odoo's ids."""
        self._next_id[model] = value

    def reserve_ids(self, model: str, above: int) -> None:
        """Make the next id of ``model`` greater than ``above`` (used by the seed)."""
        self._next_id[model] = max(self._next_id.get(model, 1), above + 1)

    # -- rows ---------------------------------------------------------------------
    def table(self, model: str) -> dict[int, Row]:
        return self._tables.setdefault(model, {})

    def ids(self, model: str) -> Iterator[int]:
        return iter(list(self.table(model)))

    def exists(self, model: str, rid: int) -> bool:
        return rid in self.table(model)

    def row(self, model: str, rid: int) -> Row:
        return self.table(model)[rid]

    def insert(self, model: str, rid: int, values: Row) -> None:
        self.table(model)[rid] = dict(values)
        self._log("insert", model, rid)

    def update(self, model: str, rid: int, values: Row) -> None:
        row = self.table(model)[rid]
        old = {key: row.get(key) for key in values}
        self._log("update", model, rid, old)
        row.update(values)

    def delete(self, model: str, rid: int) -> None:
        row = self.table(model).pop(rid)
        self._log("delete", model, rid, row)

    # -- transactional key/value --------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        return self._meta.get(key, default)

    def set_meta(self, key: str, value: Any) -> None:
        self._log("meta", key, self._meta.get(key, _MISSING))
        self._meta[key] = value


class _Missing:
    """Marker for "no previous value" in the undo log."""


_MISSING = _Missing()
