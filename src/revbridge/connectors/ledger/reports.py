"""Trial balance and general ledger for a period (a calendar month in UTC, or any span)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from revbridge.connectors.ledger.book import read_entries
from revbridge.connectors.ledger.posting import ZERO, balances
from revbridge.domain.period import Period
from revbridge.errors import ValidationError
from revbridge.scope import Scope


def month(text: str) -> Period:
    """``2026-01`` -> ``[2026-01-01, 2026-02-01)`` in UTC."""
    try:
        year, mon = (int(x) for x in text.split("-"))
        start = datetime(year, mon, 1, tzinfo=UTC)
    except ValueError:
        raise ValidationError("period", "a month as YYYY-MM, e.g. 2026-01", text) from None
    days = calendar.monthrange(year, mon)[1]
    end = datetime(year + (mon == 12), 1 if mon == 12 else mon + 1, 1, tzinfo=UTC)
    assert (end - start).days == days
    return Period(start, end)


@dataclass(frozen=True)
class TrialRow:
    account: str
    currency: str
    opening: Decimal
    debit: Decimal
    credit: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "currency": self.currency, "opening": self.opening, "debit": self.debit,
                "credit": self.credit, "closing": self.closing}


def trial_balance(scope: Scope, period: Period) -> list[TrialRow]:
    """Per account and currency: balance before the period, its debits and credits, closing."""
    opening = balances(read_entries(scope, end=period.start))
    moves: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for entry in read_entries(scope, period.start, period.end):
        for p in entry.postings:
            debit, credit = moves.get((p.account, entry.currency), (ZERO, ZERO))
            moves[(p.account, entry.currency)] = (debit + p.debit, credit + p.credit)
    keys = sorted(set(opening) | set(moves))
    return [TrialRow(a, c, opening.get((a, c), ZERO), *moves.get((a, c), (ZERO, ZERO))) for a, c in keys]


def general_ledger(scope: Scope, period: Period, account: str | None = None) -> list[dict[str, Any]]:
    """Every posting of the period, with its entry, optionally for one account."""
    rows = []
    for entry in read_entries(scope, period.start, period.end):
        for p in entry.postings:
            if account and p.account != account:
                continue
            rows.append({"date": entry.date, "reference": entry.reference, "description": entry.description,
                         "account": p.account, "customer_id": p.customer_id, "currency": entry.currency,
                         "debit": p.debit, "credit": p.credit})
    return rows


def receivable_by_customer(scope: Scope) -> dict[tuple[str, str], Decimal]:
    """Debit balance of the receivable per (customer, currency), over all time."""
    out: dict[tuple[str, str], Decimal] = {}
    for entry in read_entries(scope):
        for p in entry.postings:
            if p.customer_id:
                key = (p.customer_id, entry.currency)
                out[key] = out.get(key, ZERO) + p.debit - p.credit
    return out
