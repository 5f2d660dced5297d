"""An hour-long Odoo outage: the circuit opens, jobs wait for it, then drain once each."""

from __future__ import annotations

from revbridge.connectors.odoo import (
    BreakerPolicy,
    BreakerState,
    Limits,
    LimitsPolicy,
    OdooError,
)
from tests.connectors.odoo.connector.conftest import ConnectorFactory, DocumentFactory, Target

STEP = 30.0  # seconds of emulated time per tick of the simulated outbox


def test_an_hour_outage_opens_the_circuit_and_drains_without_duplicates(
    target: Target, connector_factory: ConnectorFactory, document: DocumentFactory
) -> None:
    odoo = target.emulated

    def now() -> float:
        return odoo.clock.now().timestamp()

    breaker = BreakerPolicy(failure_threshold=3, open_seconds=60, max_open_seconds=600)
    limits = Limits(LimitsPolicy(rate_per_second=1000, burst=1000, breaker=breaker), clock=now)
    connector = connector_factory(taxes={"vat20": (target.sale_tax("20"), "20")}, limits=limits)
    docs = [document(f"OUT-{i}") for i in range(6)]
    connector.sync_document(docs[0])

    odoo.outage(seconds=3600, status=503)
    pending = {doc.number: (doc, now()) for doc in docs}  # number -> (doc, next attempt at)
    attempts = 0
    seen_open = False
    calls_at_start = connector.calls
    outage_ends = now() + 3600
    calls_during_outage = 0
    while pending and now() < outage_ends + 3600:
        for number, (doc, due) in list(pending.items()):
            if due > now():
                continue
            attempts += 1
            try:
                connector.sync_document(doc)
            except OdooError as exc:
                assert exc.retryable, exc
                # the job waits as long as the error says, without burning retries
                pending[number] = (doc, now() + (exc.retry_after or STEP))
            else:
                del pending[number]
        seen_open = seen_open or limits.breaker.state is BreakerState.OPEN
        if now() < outage_ends:
            calls_during_outage = connector.calls - calls_at_start
        odoo.clock.advance(STEP)

    assert not pending, "every job drained once Odoo was back"
    assert seen_open
    # 3 failures open the circuit; then one probe per open window (60 s doubling to 600 s)
    assert calls_during_outage <= 3 + 10, calls_during_outage
    assert attempts < 6 * 40  # jobs slept through retry_after instead of spinning
    for doc in docs:
        assert target.count("account.move", [["ref", "=", doc.number]]) == 1
    states = target.call("account.move", "search_read",
                         domain=[["ref", "in", [d.number for d in docs]]], fields=["state"])
    assert {s["state"] for s in states} == {"posted"}
    assert limits.breaker.state is BreakerState.CLOSED


def test_calls_during_the_outage_are_few(
    target: Target, connector_factory: ConnectorFactory, document: DocumentFactory
) -> None:
    """While the circuit is open, a call never reaches the network."""
    odoo = target.emulated
    limits = Limits(LimitsPolicy(breaker=BreakerPolicy(failure_threshold=2, open_seconds=60)),
                    clock=lambda: odoo.clock.now().timestamp())
    connector = connector_factory(taxes={"vat20": (target.sale_tax("20"), "20")}, limits=limits)
    odoo.outage(seconds=3600)
    errors = []
    for _ in range(20):
        try:
            connector.sync_document(document("FAST"))
        except OdooError as exc:
            errors.append(exc)
    assert connector.calls == 2
    assert all(e.retryable for e in errors)
    assert 0 < (errors[-1].retry_after or 0) <= 60
