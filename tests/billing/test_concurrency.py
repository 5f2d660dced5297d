"""Two billing runs at once, each in its own connection: every charge is issued once."""

from __future__ import annotations

import threading
from decimal import Decimal

from revbridge.billing.run import RunSummary, run_billing
from revbridge.domain.period import utc
from revbridge.scope import transaction

from .conftest import World


def test_two_runs_at_once_issue_each_charge_once(world: World) -> None:
    for key in ("a", "b", "c", "d"):
        world.subscribe(key, "basic")
        world.use(key, 5000, utc(2026, 1, 9))
    world.run(utc(2026, 1, 1))
    barrier = threading.Barrier(2)
    results: list[RunSummary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            with transaction(world.engine, world.workspace, "test", utc(2026, 2, 1)) as scope:
                results.append(run_billing(scope, world.usage, utc(2026, 2, 1)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(len(r.invoices) for r in results) == [0, 4]
    for key in ("a", "b", "c", "d"):
        assert world.billed(key) == Decimal("29.00") + Decimal("8.00") + Decimal("29.00")
    numbers = sorted(d["number"] for d in world.documents())
    assert numbers == [f"US-2026-{n:06d}" for n in range(1, 9)]
