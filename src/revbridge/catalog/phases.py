"""Subscription phases, derived from amendments by a pure fold.

A subscription is stored as the list of its amendments (start, plan change, quantity
change, cancel), each effective at an instant, possibly in the past. The phases a
billing run rates against are a function of that list, recomputed after every change:

- amendments apply in time order; each sets only what it changes, so a backdated plan
  change before a later quantity change keeps that quantity change;
- a phase ends where the next begins (half-open), the last one at the cancel instant or
  never; the end of a trial splits a phase so trial time is never billed;
- contradictions are refused, naming the amendment: anything before the start, two
  amendments at one instant, anything after a cancel, a change that changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from itertools import pairwise

from revbridge.errors import ConflictError


class AmendmentKind(str, Enum):
    START = "start"
    CHANGE_PLAN = "change_plan"
    CHANGE_QUANTITY = "change_quantity"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Amendment:
    kind: AmendmentKind
    effective_at: datetime
    plan_version_id: str | None = None
    quantity: int | None = None


@dataclass(frozen=True)
class Phase:
    """``[starts_at, ends_at)`` on one plan version and quantity; ``ends_at None`` = open."""

    starts_at: datetime
    ends_at: datetime | None
    plan_version_id: str
    quantity: int
    trial: bool = False

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment and (self.ends_at is None or moment < self.ends_at)


def _check_order(amendments: Sequence[Amendment]) -> list[Amendment]:
    ordered = sorted(amendments, key=lambda a: a.effective_at)
    if not ordered or ordered[0].kind is not AmendmentKind.START:
        first = ordered[0] if ordered else None
        raise ConflictError(
            "effective_at",
            "a change cannot take effect before the subscription starts",
            first.effective_at.isoformat() if first else None,
        )
    for prev, cur in pairwise(ordered):
        if cur.kind is AmendmentKind.START:
            raise ConflictError("kind", "a subscription starts only once")
        if cur.effective_at == prev.effective_at:
            raise ConflictError(
                "effective_at",
                f"another change ({prev.kind.value}) takes effect at this same instant",
                cur.effective_at.isoformat(),
            )
        if prev.kind is AmendmentKind.CANCEL:
            raise ConflictError(
                "effective_at",
                f"the subscription is cancelled from {prev.effective_at.isoformat()}; nothing can change after that",
                cur.effective_at.isoformat(),
            )
    return ordered


def derive_phases(amendments: Sequence[Amendment], trial_end: datetime | None = None) -> list[Phase]:
    """The phases that ``amendments`` describe, in time order."""
    ordered = _check_order(amendments)
    start = ordered[0]
    assert start.plan_version_id is not None and start.quantity is not None
    plan, quantity = start.plan_version_id, start.quantity
    phases: list[Phase] = []
    opened = start.effective_at
    for amendment in ordered[1:]:
        phases.append(Phase(opened, amendment.effective_at, plan, quantity))
        if amendment.kind is AmendmentKind.CANCEL:
            return _split_trial(phases, trial_end)
        if amendment.kind is AmendmentKind.CHANGE_PLAN:
            if amendment.plan_version_id == plan:
                raise ConflictError("plan", "the subscription is already on this plan version at that instant")
            assert amendment.plan_version_id is not None
            plan = amendment.plan_version_id
        else:
            if amendment.quantity == quantity:
                raise ConflictError("quantity", "the quantity is already this at that instant", quantity)
            assert amendment.quantity is not None
            quantity = amendment.quantity
        opened = amendment.effective_at
    phases.append(Phase(opened, None, plan, quantity))
    return _split_trial(phases, trial_end)


def _split_trial(phases: list[Phase], trial_end: datetime | None) -> list[Phase]:
    if trial_end is None:
        return phases
    out: list[Phase] = []
    for phase in phases:
        if phase.ends_at is not None and phase.ends_at <= trial_end:
            out.append(replace(phase, trial=True))
        elif phase.starts_at < trial_end:
            out.append(replace(phase, ends_at=trial_end, trial=True))
            out.append(replace(phase, starts_at=trial_end))
        else:
            out.append(phase)
    return out


def phase_at(phases: Sequence[Phase], moment: datetime) -> Phase | None:
    """The phase in force at ``moment``, or ``None`` before the start or after a cancel."""
    for phase in phases:
        if phase.covers(moment):
            return phase
    return None
