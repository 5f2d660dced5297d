"""Split an amount into parts that add back exactly to the whole.

Proration, revenue allocation and tax distribution all cut an amount by weights and
must not lose or invent a cent: the largest-remainder method (as django-hordak's
``ratio_split``) gives each part its floor at the currency's quantum and hands the
leftover quanta to the parts with the largest remainders.

The shares are computed with exact rationals (``fractions.Fraction``), not with
``Decimal`` division: a 28-digit ``Decimal`` context silently rounds ``units * weight /
total`` for large amounts or very uneven weights, which can hand a part quanta it never
earned (or, worse, make the floors overshoot the whole), and ``amount % quantum``
raises ``DivisionImpossible`` beyond 28 digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext
from fractions import Fraction


def ratio_split(amount: Decimal, weights: Sequence[Decimal | int], quantum: Decimal) -> list[Decimal]:
    """Split ``amount`` by ``weights`` into multiples of ``quantum`` summing to ``amount``.

    ``amount`` must itself be a multiple of ``quantum``. Ties go to the earlier part, so
    the result is deterministic.
    """
    if not weights:
        raise ValueError("ratio_split needs at least one weight")
    if quantum <= 0:
        raise ValueError(f"quantum must be positive, got {quantum}")
    exact = [Fraction(w) for w in weights]
    total_weight = sum(exact, Fraction(0))
    if total_weight <= 0 or any(w < 0 for w in exact):
        raise ValueError("weights must be non-negative and not all zero")
    units = Fraction(amount) / Fraction(quantum)
    if units.denominator != 1:
        raise ValueError(f"{amount} is not a multiple of {quantum}")
    sign = -1 if units < 0 else 1
    whole = abs(units.numerator)
    raw = [whole * w / total_weight for w in exact]
    floors = [r.numerator // r.denominator for r in raw]
    leftover = whole - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (floors[i] - raw[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    with localcontext() as ctx:
        # Wide enough that quantum * count and the check below are exact, never rounded.
        ctx.prec = max(ctx.prec, len(str(whole)) + len(quantum.as_tuple().digits) + 2)
        parts = [sign * f * quantum for f in floors]
        assert sum(parts, Decimal(0)) == amount, "ratio_split lost an amount"
    return parts
