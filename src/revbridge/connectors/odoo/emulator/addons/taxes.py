"""Tax amounts of invoice lines, per the company's rounding method (FACTS.md 2).

Pure functions over Decimals, apart from the models so they can be read (and tested)
on their own. ``round_per_line`` rounds each line's tax before summing; ``round_globally``
sums unrounded amounts per tax and rounds once: 3 x 1.03 at 20% gives 0.63 vs 0.62 (09).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from revbridge.connectors.odoo.emulator.money import ZERO

Rounder = Callable[[Decimal], Decimal]
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Tax:
    id: int
    amount: Decimal
    amount_type: str  # percent | fixed | division
    price_include: bool


@dataclass(frozen=True)
class LineTaxes:
    """One line: its untaxed subtotal (rounded) and each tax's unrounded amount."""

    subtotal: Decimal
    taxes: tuple[tuple[int, Decimal], ...]

    def total(self, rnd: Rounder) -> Decimal:
        return self.subtotal + sum((rnd(amount) for _tid, amount in self.taxes), ZERO)


def line_taxes(
    quantity: Decimal, price_unit: Decimal, discount: Decimal, taxes: Sequence[Tax], rnd: Rounder
) -> LineTaxes:
    """Base and tax amounts of one line; price-included taxes are taken out of the price."""
    gross = quantity * price_unit * (1 - discount / HUNDRED)
    included = [t for t in taxes if t.price_include and t.amount_type == "percent"]
    rate_in = sum((t.amount for t in included), ZERO) / HUNDRED
    base = gross / (1 + rate_in) if included else gross
    subtotal = rnd(base)
    amounts = []
    for tax in taxes:
        if tax.amount_type == "fixed":
            amounts.append((tax.id, quantity * tax.amount))
        elif tax.amount_type == "division" and tax.amount < HUNDRED:
            amounts.append((tax.id, base / (1 - tax.amount / HUNDRED) - base))
        else:
            amounts.append((tax.id, base * tax.amount / HUNDRED))
    return LineTaxes(subtotal, tuple(amounts))


def tax_totals(lines: Sequence[LineTaxes], method: str, rnd: Rounder) -> dict[int, Decimal]:
    """Tax amount per tax id for a document."""
    totals: dict[int, Decimal] = {}
    for line in lines:
        for tid, amount in line.taxes:
            part = rnd(amount) if method == "round_per_line" else amount
            totals[tid] = totals.get(tid, ZERO) + part
    return {tid: rnd(amount) for tid, amount in totals.items()}
