"""Write entries once per key, and read them back per period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, select

from revbridge.connectors.ledger.posting import Entry, Posting
from revbridge.connectors.ledger.tables import ledger_entries, ledger_postings
from revbridge.ids import new_id
from revbridge.scope import Scope


def write_entry(scope: Scope, key: str, source_id: str, entry: Entry) -> bool:
    """Record ``entry`` under ``key``; False (and nothing written) when the key is booked."""
    booked = scope.conn.execute(select(ledger_entries.c.id).where(
        ledger_entries.c.workspace_id == scope.workspace_id, ledger_entries.c.key == key)).first()
    if booked is not None:
        return False
    entry_id = new_id("led")
    scope.conn.execute(ledger_entries.insert().values(
        id=entry_id, workspace_id=scope.workspace_id, key=key, date=entry.date, kind=entry.kind,
        reference=entry.reference, description=entry.description, currency=entry.currency, source_id=source_id,
        correlation_id=entry.correlation_id, created_at=scope.now))
    scope.conn.execute(ledger_postings.insert(), [
        {"id": new_id("pst"), "workspace_id": scope.workspace_id, "entry_id": entry_id, "account": p.account,
         "customer_id": p.customer_id, "debit": p.debit, "credit": p.credit}
        for p in entry.postings
    ])
    return True


def read_entries(scope: Scope, start: datetime | None = None, end: datetime | None = None) -> Iterator[Entry]:
    """Entries dated in ``[start, end)`` (either bound optional), in date order."""
    where = [ledger_entries.c.workspace_id == scope.workspace_id]
    if start is not None:
        where.append(ledger_entries.c.date >= start)
    if end is not None:
        where.append(ledger_entries.c.date < end)
    heads = scope.conn.execute(select(ledger_entries).where(and_(*where)).order_by(
        ledger_entries.c.date, ledger_entries.c.id)).all()
    ids = [h.id for h in heads]
    lines: dict[str, list[Posting]] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for r in scope.conn.execute(select(ledger_postings).where(ledger_postings.c.entry_id.in_(chunk)).order_by(
                ledger_postings.c.id)):
            lines.setdefault(r.entry_id, []).append(
                Posting(r.account, Decimal(r.debit), Decimal(r.credit), r.customer_id))
    for h in heads:
        yield Entry(h.date, h.kind, h.reference, h.description, h.currency, tuple(lines.get(h.id, ())),
                    h.correlation_id)
