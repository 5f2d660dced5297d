"""The service's billing clock bills every workspace as of now, and twice is once."""

from __future__ import annotations

from sqlalchemy import func, select

from revbridge.billing.schedule import bill_everything
from revbridge.billing.tables import documents
from tests.books import Books


def test_a_tick_bills_what_is_due_and_a_second_tick_nothing(books: Books) -> None:
    from revbridge.catalog.apply import apply_catalog
    from revbridge.catalog.spec import load_catalog
    from revbridge.catalog.subscriptions import create_subscription
    from revbridge.domain.period import utc

    with books.scope() as scope:
        apply_catalog(scope, load_catalog(
            "plans:\n  - {code: p, name: P, currency: USD, interval: month, prices: [{code: fee, model: flat, amount: '10'}]}\n",
            "c.yaml"))
        create_subscription(scope, "acme", "p", utc(2026, 1, 1))
    first = bill_everything(books.engine)
    assert first >= 1
    assert bill_everything(books.engine) == 0
    with books.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == first
