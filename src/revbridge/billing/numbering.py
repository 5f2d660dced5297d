"""Gapless document numbers per legal entity, assigned only at finalisation.

Why a counter row and not a database sequence: a sequence hands out a number even when
the transaction that took it rolls back, leaving a gap that tax auditors ask about. A
counter row, incremented in the finalising transaction and locked ``FOR UPDATE`` on
PostgreSQL (SQLite has one writer), either commits with the document or not at all.
Drafts have no number, so deleting or regenerating a draft never leaves a hole.

Numbers read ``{prefix}-{year}-{n:06d}`` for invoices and ``{prefix}-CN-{year}-{n:06d}``
for credit notes, each series counting from 1 every calendar year (UTC) of
finalisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError

from revbridge.billing.tables import document_sequences
from revbridge.scope import Scope
from revbridge.store.tables import legal_entities

__all__ = ["NumberAllocator", "format_number"]

SERIES = {"invoice": "", "credit_note": "CN-"}


def format_number(prefix: str, series: str, year: int, n: int) -> str:
    return f"{prefix}-{SERIES[series]}{year}-{n:06d}"


@dataclass
class NumberAllocator:
    """Hands out numbers within one transaction, locking each counter once.

    A run that finalises thousands of documents locks the entity's counter on first
    use, counts in memory and writes the counter back in ``flush`` (call it before the
    transaction commits; ``finalize`` callers do).
    """

    scope: Scope
    _counters: dict[tuple[str, str, int], int] = field(default_factory=dict)
    _dirty: set[tuple[str, str, int]] = field(default_factory=set)
    _prefixes: dict[str, str] = field(default_factory=dict)

    def next(self, legal_entity_id: str, series: str, year: int) -> str:
        key = (legal_entity_id, series, year)
        if key not in self._counters:
            self._counters[key] = self._lock(key)
        self._counters[key] += 1
        self._dirty.add(key)
        return format_number(self._prefix(legal_entity_id), series, year, self._counters[key])

    def _prefix(self, legal_entity_id: str) -> str:
        if legal_entity_id not in self._prefixes:
            self._prefixes[legal_entity_id] = self.scope.conn.execute(
                select(legal_entities.c.invoice_prefix).where(
                    legal_entities.c.workspace_id == self.scope.workspace_id,
                    legal_entities.c.id == legal_entity_id,
                )
            ).scalar_one()
        return self._prefixes[legal_entity_id]

    def _where(self, key: tuple[str, str, int]) -> ColumnElement[bool]:
        entity, series, year = key
        c = document_sequences.c
        return (
            (c.workspace_id == self.scope.workspace_id)
            & (c.legal_entity_id == entity)
            & (c.series == series)
            & (c.year == year)
        )

    def _lock(self, key: tuple[str, str, int]) -> int:
        query = select(document_sequences.c.last_number).where(self._where(key)).with_for_update()
        row = self.scope.conn.execute(query).first()
        if row is not None:
            return int(row.last_number)
        entity, series, year = key
        try:
            with self.scope.conn.begin_nested():
                self.scope.conn.execute(
                    document_sequences.insert().values(
                        workspace_id=self.scope.workspace_id, legal_entity_id=entity,
                        series=series, year=year, last_number=0,
                    )
                )
        except IntegrityError:  # another transaction created it first: lock theirs
            pass
        return int(self.scope.conn.execute(query).one().last_number)

    def flush(self) -> None:
        for key in sorted(self._dirty):
            self.scope.conn.execute(
                update(document_sequences).where(self._where(key)).values(last_number=self._counters[key])
            )
        self._dirty.clear()
