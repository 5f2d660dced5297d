"""Export the ledger: CSV for spreadsheets, Beancount's plain text for accountants."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from revbridge.connectors.ledger.chart import ACCOUNTS, RECEIVABLE, component
from revbridge.connectors.ledger.posting import Entry


def to_csv(entries: Iterable[Entry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "reference", "description", "account", "customer_id", "currency", "debit", "credit"])
    for entry in entries:
        for p in entry.postings:
            writer.writerow([entry.date.date().isoformat(), entry.reference, entry.description, p.account,
                             p.customer_id or "", entry.currency, p.debit, p.credit])
    return out.getvalue()


def _account(name: str, customer_id: str | None, customers: Mapping[str, str]) -> str:
    if name == RECEIVABLE and customer_id:
        return f"{name}:{component(customers.get(customer_id, customer_id))}"
    return name


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_beancount(entries: Iterable[Entry], customers: Mapping[str, str] | None = None) -> str:
    """Beancount text: ``open`` directives for every account used, then one transaction per entry.

    The receivable gets a sub-account per customer (by key), so ``bean-report`` shows
    what each customer owes.
    """
    customers = customers or {}
    items = list(entries)
    used: dict[str, str] = {}
    for entry in items:
        for p in entry.postings:
            used.setdefault(_account(p.account, p.customer_id, customers), entry.date.date().isoformat())
    first = min((e.date.date().isoformat() for e in items), default="1970-01-01")
    lines = [f"{first} open {name}" for name in ACCOUNTS if name not in used]
    lines += [f"{day} open {name}" for name, day in sorted(used.items())]
    lines.append("")
    for entry in items:
        lines.append(f'{entry.date.date().isoformat()} * "{_quote(entry.description)}"')
        lines.append(f'  reference: "{_quote(entry.reference)}"')
        for p in entry.postings:
            amount = p.debit - p.credit
            lines.append(f"  {_account(p.account, p.customer_id, customers):<48} {amount} {entry.currency}")
        lines.append("")
    return "\n".join(lines)
