"""Phases derived from amendments: they tile time, follow each change, refuse contradictions."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revbridge.catalog.phases import Amendment, AmendmentKind, derive_phases, phase_at
from revbridge.domain.period import utc
from revbridge.errors import ConflictError

START = utc(2026, 1, 1)
K = AmendmentKind


def start(plan: str = "p1", quantity: int = 1, at: datetime = START) -> Amendment:
    return Amendment(K.START, at, plan, quantity)


def test_backdated_plan_change_keeps_a_later_quantity_change() -> None:
    phases = derive_phases([
        start(),
        Amendment(K.CHANGE_QUANTITY, utc(2026, 1, 20), quantity=5),
        Amendment(K.CHANGE_PLAN, utc(2026, 1, 10), plan_version_id="p2"),  # recorded later, effective earlier
    ])
    assert [(p.starts_at.day, p.ends_at and p.ends_at.day, p.plan_version_id, p.quantity) for p in phases] == [
        (1, 10, "p1", 1), (10, 20, "p2", 1), (20, None, "p2", 5)
    ]


def test_trial_end_splits_a_phase() -> None:
    phases = derive_phases([start()], trial_end=utc(2026, 1, 15))
    assert [(p.trial, p.starts_at.day) for p in phases] == [(True, 1), (False, 15)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([Amendment(K.CHANGE_PLAN, utc(2025, 12, 31), plan_version_id="p2")], "before the subscription starts"),
        ([Amendment(K.CHANGE_PLAN, START, plan_version_id="p2")], "same instant"),
        ([Amendment(K.CHANGE_QUANTITY, utc(2026, 2, 1), quantity=2), Amendment(K.CANCEL, utc(2026, 2, 1))], "same instant"),
        ([Amendment(K.CANCEL, utc(2026, 2, 1)), Amendment(K.CHANGE_QUANTITY, utc(2026, 3, 1), quantity=2)], "cancelled"),
        ([Amendment(K.CHANGE_PLAN, utc(2026, 2, 1), plan_version_id="p1")], "already on this plan"),
        ([Amendment(K.CHANGE_QUANTITY, utc(2026, 2, 1), quantity=1)], "already this"),
    ],
)
def test_contradictions_are_refused(extra: list[Amendment], message: str) -> None:
    with pytest.raises(ConflictError, match=message):
        derive_phases([start(), *extra])


@given(
    offsets=st.lists(st.integers(min_value=1, max_value=10_000), min_size=0, max_size=12, unique=True),
    cancel=st.booleans(),
    trial_days=st.integers(min_value=0, max_value=60),
)
def test_phases_tile_time_from_start_to_end(offsets: list[int], cancel: bool, trial_days: int) -> None:
    amendments = [start()]
    for i, hours in enumerate(sorted(offsets)):
        at = START + timedelta(hours=hours)
        last = cancel and i == len(offsets) - 1
        amendments.append(Amendment(K.CANCEL, at) if last else Amendment(K.CHANGE_QUANTITY, at, quantity=i + 2))
    trial_end = START + timedelta(days=trial_days) if trial_days else None
    phases = derive_phases(amendments, trial_end)
    assert phases[0].starts_at == START
    for a, b in pairwise(phases):
        assert a.ends_at == b.starts_at and a.starts_at < a.ends_at  # no gap, no overlap, none empty
    assert (phases[-1].ends_at is not None) == (cancel and bool(offsets))
    for a in amendments[1:]:
        current = phase_at(phases, a.effective_at)
        if a.kind is K.CANCEL:
            assert current is None
        else:
            assert current is not None and current.quantity == a.quantity
    if trial_end is not None:
        assert all(p.trial == (p.starts_at < trial_end) for p in phases)
