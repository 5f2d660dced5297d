"""From revbridge's books into Odoo through the outbox: exactly once, totals to the cent.

A real emulator on loopback, real documents from billing, payments from the payments
service, and the real worker delivering to the ``odoo`` and ``ledger`` sinks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from revbridge.billing import documents as docs
from revbridge.config import Settings
from revbridge.connectors.odoo.emulator import EmulatorHandle, start_emulator
from revbridge.connectors.odoo.tables import odoo_links
from revbridge.ingest.tables import exceptions
from revbridge.outbox.replay import replay_jobs
from revbridge.outbox.sinks import build_registry
from revbridge.outbox.tables import outbox_jobs
from revbridge.outbox.worker import Worker
from revbridge.payments.service import record_payment
from revbridge.scope import transaction
from revbridge.workspaces import set_workspace_setting
from tests.books import Books


def section(odoo: EmulatorHandle, tax_rounding: str = "round_per_line") -> dict[str, Any]:
    return {
        "workspace": "t", "url": odoo.url, "db": odoo.db, "login": "admin", "api_key_secret": "odoo_key",
        "legal_entities": {"us": {"company_id": 1, "currency": "USD", "sale_journal_id": 1, "payment_journal_id": 6,
                                  "payment_method_line_id": 1, "taxes": {"15": {"id": 1, "rate": "15"}}}},
    }


@pytest.fixture
def odoo() -> Iterator[EmulatorHandle]:
    with start_emulator() as handle:
        yield handle


@pytest.fixture
def synced(books: Books, odoo: EmulatorHandle, scope_in: Callable[..., Any]) -> Books:
    from revbridge.billing.taxes import set_tax_rate

    with scope_in(books.workspace_id) as scope:
        set_tax_rate(scope, "us", "US", "15")
        set_workspace_setting(scope.conn, scope.workspace_id, "odoo", section(odoo))
    return books


def worker(books: Books, **options: Any) -> Worker:
    """The real worker with the built-in sinks, on the test's database."""
    settings = Settings(database_url=books.engine.url.render_as_string(False), secrets={"odoo_key": "admin"})
    return Worker(books.engine, build_registry(settings), **options)


def moves(odoo: EmulatorHandle) -> list[dict[str, Any]]:
    return [m for m in odoo.records("account.move").values() if m.get("move_type") in ("out_invoice", "out_refund")]


def links(books: Books) -> dict[str, Any]:
    with books.engine.connect() as conn:
        return {r.entity_id: r for r in conn.execute(select(odoo_links))}


def test_invoice_credit_note_and_payment_land_once_with_equal_totals(synced: Books, odoo: EmulatorHandle) -> None:
    invoice = synced.invoice("acme", "100.00", "18.53")
    synced.credit(invoice["id"], "40.00")
    with synced.scope() as scope:
        record_payment(scope, "acme", "50.00", reference="wire-1")
    assert worker(synced).drain() >= 6  # 3 facts x (ledger, odoo)
    found = links(synced)
    move = found[invoice["id"]]
    assert move.odoo_name.startswith("INV/") and move.amount_total == Decimal(invoice["total"])
    assert len(moves(odoo)) == 2  # the invoice and its credit note
    assert len(odoo.records("account.payment")) == 1
    with synced.engine.connect() as conn:
        states = {r.sink: r.state for r in conn.execute(select(outbox_jobs.c.sink, outbox_jobs.c.state))}
        assert states == {"ledger": "done", "odoo": "done"}
        assert conn.execute(select(exceptions).where(exceptions.c.kind == "reconciliation")).all() == []


def test_replaying_every_job_twice_changes_nothing_in_odoo(synced: Books, odoo: EmulatorHandle) -> None:
    invoice = synced.invoice("acme", "12.00")
    with synced.scope() as scope:
        record_payment(scope, "acme", str(Decimal(invoice["total"])), reference="p-9")
    worker(synced).drain()
    before = (len(moves(odoo)), len(odoo.records("account.payment")), len(odoo.records("res.partner")))
    for _ in range(2):
        with transaction(synced.engine, synced.workspace_id, "t") as scope:
            ids = [r.id for r in scope.conn.execute(select(outbox_jobs.c.id))]
            replay_jobs(scope, ids)
        worker(synced).drain()
    assert (len(moves(odoo)), len(odoo.records("account.payment")), len(odoo.records("res.partner"))) == before


def test_crash_after_odoo_commits_is_recovered_without_a_duplicate(synced: Books, odoo: EmulatorHandle) -> None:
    synced.invoice("acme", "30.00")
    odoo.crash_after_commit(model="account.move", method="create", times=1)
    worker(synced).drain()  # the create committed, its answer was lost: retried later
    with synced.engine.begin() as conn:
        conn.execute(outbox_jobs.update().values(next_attempt_at=outbox_jobs.c.created_at))
    worker(synced).drain()
    assert len(moves(odoo)) == 1
    assert all(m["state"] == "posted" for m in moves(odoo))


def test_fine_unit_price_and_global_rounding_match_odoo_to_the_cent(synced: Books, odoo: EmulatorHandle) -> None:
    with synced.scope() as scope:
        draft = docs.create_draft(scope, "acme")
        docs.add_line(scope, draft["id"], "API calls 12350 x 0.0015", "0.0015", "12350")
        docs.add_line(scope, draft["id"], "Support", "1.03")
        docs.add_line(scope, draft["id"], "Support", "1.03")
        invoice = docs.finalize_document(scope, draft["id"])
    worker(synced).drain()
    move = links(synced)[invoice["id"]]
    assert move.amount_total == Decimal(invoice["total"])
    with synced.engine.connect() as conn:
        assert conn.execute(select(exceptions).where(exceptions.c.kind == "reconciliation")).all() == []


def test_a_total_odoo_computes_differently_is_a_reconciliation_exception(synced: Books, odoo: EmulatorHandle) -> None:
    odoo.execute("res.company", "write", [1], {"tax_calculation_rounding_method": "round_globally"})
    invoice = synced.invoice("acme", "1.03", "1.03", "1.03")  # per line: tax 0.45; globally Odoo gets 0.46
    worker(synced).drain()
    with synced.engine.connect() as conn:
        (found,) = conn.execute(select(exceptions).where(exceptions.c.kind == "reconciliation")).all()
    assert found.event_id == invoice["id"] and found.reason == "odoo_totals"
    assert {p["field"] for p in found.problems} >= {"amount_tax"}


def test_payments_made_in_odoo_come_back_once_and_ours_are_not_echoed(synced: Books, odoo: EmulatorHandle) -> None:
    from revbridge.connectors.odoo.pull import apply_pull, load_state
    from revbridge.connectors.odoo.sink import connector_for, section_of
    from revbridge.payments.service import balance

    first = synced.invoice("acme", "100.00")  # 115.00
    second = synced.invoice("acme", "20.00")  # 23.00
    with synced.scope() as scope:
        record_payment(scope, "acme", "115.00", reference="ours", invoice=first["number"])
    worker(synced).drain()
    move_id = links(synced)[second["id"]].odoo_id
    wizard = odoo.execute("account.payment.register", "create", {"amount": 23.0},
                          context={"active_model": "account.move", "active_ids": [move_id]})
    odoo.execute("account.payment.register", "action_create_payments", [wizard],
                 context={"active_model": "account.move", "active_ids": [move_id]})
    odoo_conn = connector_for(Settings(secrets={"odoo_key": "admin"}), synced.workspace_id,
                              section_of(synced.engine, synced.workspace_id))
    for _ in range(2):  # a second pull finds nothing new
        with synced.scope() as scope:
            state = load_state(scope)
        result = odoo_conn.pull_changes(state)
        with synced.scope() as scope:
            summary = apply_pull(scope, result)
    with synced.scope() as scope:
        owed = balance(scope, "acme")["balances"][0]
    assert owed["open_invoices"] == 0 and owed["unapplied_credit"] == 0
    assert summary.payments_recorded == 0


def test_an_hour_long_odoo_outage_drains_by_itself_through_the_outbox(
    synced: Books, odoo: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs wait for Odoo while its circuit is open instead of dying, then land once each."""
    from revbridge.connectors.odoo import BreakerPolicy, Limits, LimitsPolicy, OdooConnector
    from revbridge.connectors.odoo import sink as odoo_sink
    from revbridge.connectors.odoo.mapping import load_mapping
    from revbridge.outbox.retry import RetryPolicy

    def clock() -> float:
        return odoo.clock.now().timestamp()

    limits = Limits(LimitsPolicy(rate_per_second=1000, burst=1000,
                                 breaker=BreakerPolicy(failure_threshold=3, open_seconds=60, max_open_seconds=600)),
                    clock=clock)
    connector = OdooConnector.connect(load_mapping(section(odoo), secrets={"odoo_key": "admin"}), limits=limits)
    monkeypatch.setattr(odoo_sink, "connector_for", lambda *args: connector)
    numbers = [synced.invoice("acme", f"{n}0.00")["number"] for n in range(1, 6)]
    odoo.outage(seconds=3600, status=503)
    outage_ends = odoo.clock.now().timestamp() + 3600
    run = worker(synced, policy=RetryPolicy(base=1.0, cap=60.0, max_attempts=5),
                 clock=lambda: odoo.clock.now().replace(tzinfo=UTC))  # Odoo's clock is naive UTC
    for _ in range(300):  # 2.5 hours of emulated time, 30 s a tick
        run.drain()
        odoo.clock.advance(30)
        with synced.engine.connect() as conn:
            states = [r.state for r in conn.execute(select(outbox_jobs.c.state).where(outbox_jobs.c.sink == "odoo"))]
        if odoo.clock.now().timestamp() > outage_ends and set(states) == {"done"}:
            break
    with synced.engine.connect() as conn:
        rows = conn.execute(select(outbox_jobs.c.state, outbox_jobs.c.attempts, outbox_jobs.c.last_error).where(
            outbox_jobs.c.sink == "odoo")).all()
    assert [r.state for r in rows] == ["done"] * 5, rows
    assert max(r.attempts for r in rows) <= 5  # the hour of waiting used none of the retries
    assert sorted(m["ref"] for m in moves(odoo)) == sorted(numbers)  # each invoice once
