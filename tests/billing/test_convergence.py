"""Convergence: whatever happened in between, the documents add up to the billing function.

For any interleaving of usage arrivals (late ones included), backdated amendments and
billing runs, the sum of every document issued for a customer, per charge key and
period, equals what one billing run at the end, knowing everything, would issue.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revbridge.billing.documents import issued_charges
from revbridge.billing.inputs import load_inputs
from revbridge.billing.rating import rate_customer
from revbridge.domain.period import utc
from revbridge.errors import ConflictError

from .conftest import World

START = utc(2026, 1, 1)
END = utc(2026, 3, 1)
DAY = timedelta(days=1)

usage_op = st.tuples(st.just("use"), st.integers(0, 58), st.integers(1, 20_000))
plan_op = st.tuples(st.just("plan"), st.integers(1, 58), st.sampled_from(["basic", "pro"]))
seats_op = st.tuples(st.just("seats"), st.integers(1, 58), st.integers(1, 5))
run_op = st.tuples(st.just("run"), st.integers(0, 0), st.integers(0, 0))
step = st.tuples(st.integers(0, 20), st.one_of(usage_op, plan_op, seats_op, run_op))


def expected_by_key(world: World, key: str) -> dict[str, Decimal]:
    """What one run at the end would issue if nothing had been issued before."""
    customer_id = world.customers[key]
    with world.scope(END) as scope:
        inputs = load_inputs(scope, [customer_id])
        bill = rate_customer(inputs, customer_id, world.usage, END, [], scope.workspace_id)
        assert issued_charges(scope, [customer_id])[customer_id] is not None
    out: dict[str, Decimal] = {}
    for charge in bill.expected:
        out[charge.key] = out.get(charge.key, Decimal(0)) + charge.amount
    return {k: v for k, v in out.items() if v}


_customers = itertools.count()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_documents_converge_to_the_billing_function(world: World, steps: list) -> None:
    """Each example bills a customer of its own in the same workspace."""
    key = f"c{next(_customers)}"
    sub = world.subscribe(key, "basic")
    clock = START + timedelta(hours=1)
    for days, (op, day, value) in steps:
        clock = min(clock + timedelta(days=days), END)
        try:
            if op == "use":
                world.use(key, value, START + day * DAY + timedelta(hours=5))
            elif op == "plan":
                world.change_plan(sub, str(value), START + day * DAY, now=clock)
            elif op == "seats":
                world.change_quantity(sub, int(value), START + day * DAY + timedelta(hours=1), now=clock)
            else:
                world.run(clock, customer=key)
        except ConflictError:
            pass  # a contradictory amendment (same instant, no change) is refused: fine
    world.run(END, customer=key)
    assert world.billed_by_key(key) == expected_by_key(world, key)
    assert world.run(END, customer=key).issued == 0
