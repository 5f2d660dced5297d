"""The local ledger: always balanced, and its receivable per customer is what is still owed."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revbridge.config import Settings
from revbridge.connectors.ledger.book import read_entries
from revbridge.connectors.ledger.export import to_beancount, to_csv
from revbridge.connectors.ledger.posting import balances
from revbridge.connectors.ledger.reports import month, receivable_by_customer, trial_balance
from revbridge.errors import ConflictError
from revbridge.outbox.sinks import build_registry
from revbridge.outbox.worker import Worker
from revbridge.payments.service import balance, record_payment, record_refund
from tests.books import Books


def deliver_all(books: Books) -> None:
    Worker(books.engine, build_registry(Settings())).drain()


def test_an_invoice_and_its_payment_are_booked_once(books: Books) -> None:
    invoice = books.invoice("acme", "100.00", "20.00")
    with books.scope() as scope:
        record_payment(scope, "acme", "50.00", reference="p-1")
    deliver_all(books)
    deliver_all(books)  # nothing left to do; nothing booked twice
    with books.scope() as scope:
        entries = list(read_entries(scope))
        assert [e.kind for e in entries] == ["invoice", "payment"]
        totals = balances(entries)
        assert totals[("Assets:Receivable", "USD")] == Decimal("82.00")
        assert totals[("Income:Other", "USD")] == Decimal("-120.00")
        assert totals[("Liabilities:TaxPayable", "USD")] == Decimal("-12.00")
        rows = {r.account: r for r in trial_balance(scope, month(invoice["finalized_at"].strftime("%Y-%m")))}
        assert sum(r.closing for r in rows.values()) == 0
        text = to_beancount(entries, {invoice["customer_id"]: "acme"})
        assert "open Assets:Receivable:Acme" in text and '"Invoice ' in text
        assert to_csv(entries).count("\n") == 1 + 3 + 2


actions = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), st.sampled_from(["acme", "globex"]), st.integers(1, 50_000)),
        st.tuples(st.just("credit"), st.integers(0, 20), st.integers(1, 100)),
        st.tuples(st.just("pay"), st.sampled_from(["acme", "globex"]), st.integers(1, 60_000)),
        st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 100)),
    ),
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_any_sequence_balances_and_receivable_matches_what_is_owed(books: Books, steps: list[tuple]) -> None:
    from sqlalchemy import delete

    from revbridge.billing.tables import document_lines, documents
    from revbridge.connectors.ledger.tables import ledger_entries, ledger_postings
    from revbridge.outbox.tables import outbox_jobs
    from revbridge.payments.tables import applications, payments

    with books.engine.begin() as conn:  # each example starts with empty books
        for table in (ledger_postings, ledger_entries, outbox_jobs, applications, payments, document_lines):
            conn.execute(delete(table))
        conn.execute(documents.update().values(credit_of=None))
        conn.execute(delete(documents))
    invoices: list[dict] = []
    paid: list[str] = []
    for step in steps:
        if step[0] == "invoice":
            invoices.append(books.invoice(step[1], str(Decimal(step[2]) / 100)))
        elif step[0] == "credit" and invoices:
            target = invoices[step[1] % len(invoices)]
            share = (Decimal(target["subtotal"]) * step[2] / 100).quantize(Decimal("0.01"))
            if share > 0:
                with contextlib.suppress(ConflictError):  # over-crediting is refused, which is fine here
                    books.credit(target["id"], str(share))
        elif step[0] == "pay":
            with books.scope() as scope:
                paid.append(record_payment(scope, step[1], str(Decimal(step[2]) / 100))["id"])
        elif step[0] == "refund" and paid:
            with contextlib.suppress(ConflictError), books.scope() as scope:  # refunding more than is left
                record_refund(scope, paid[step[1] % len(paid)], str(Decimal(step[2]) / 100))
    deliver_all(books)
    with books.scope() as scope:
        entries = list(read_entries(scope))
        assert all(e.balanced for e in entries)
        assert sum(balances(entries).values(), Decimal(0)) == 0
        ledger = receivable_by_customer(scope)
        for key in ("acme", "globex"):
            owed = balance(scope, key)["balances"]
            from revbridge.catalog.customers import get_customer

            cid = get_customer(scope, key)["id"]
            expected = owed[0]["receivable"] if owed else Decimal(0)
            assert ledger.get((cid, "USD"), Decimal(0)) == expected
