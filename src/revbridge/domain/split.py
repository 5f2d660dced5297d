"""Split an amount into parts that add back exactly to the whole.

Proration, revenue allocation and tax distribution all cut an amount by weights and
must not lose or invent a cent: the largest-remainder method (as django-hordak's
``ratio_split``) gives each part its floor at the currency's quantum and hands the
leftover quanta to the parts with the largest remainders.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal


def ratio_split(amount: Decimal, weights: Sequence[Decimal | int], quantum: Decimal) -> list[Decimal]:
    """Split ``amount`` by ``weights`` into multiples of ``quantum`` summing to ``amount``.

    ``amount`` must itself be a multiple of ``quantum``. Ties go to the earlier part, so
    the result is deterministic.
    """
    if not weights:
        raise ValueError("ratio_split needs at least one weight")
    total_weight = sum((Decimal(w) for w in weights), Decimal(0))
    if total_weight <= 0 or any(Decimal(w) < 0 for w in weights):
        raise ValueError("weights must be non-negative and not all zero")
    if amount % quantum != 0:
        raise ValueError(f"{amount} is not a multiple of {quantum}")
    sign = -1 if amount < 0 else 1
    units = abs(amount) / quantum
    raw = [units * Decimal(w) / total_weight for w in weights]
    floors = [r.to_integral_value(rounding=ROUND_FLOOR) for r in raw]
    leftover = int(units - sum(floors, Decimal(0)))
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    parts = [sign * f * quantum for f in floors]
    assert sum(parts, Decimal(0)) == amount, "ratio_split lost an amount"
    return parts
