"""Payments and the ledger through the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from revbridge.api.app import create_app
from revbridge.config import Settings
from revbridge.outbox.sinks import build_registry
from revbridge.outbox.worker import Worker
from tests.books import Books


def test_payment_balance_and_trial_balance_over_http(books: Books, api_key: Callable[..., str]) -> None:
    invoice = books.invoice("acme", "100.00")
    headers = {"Authorization": f"Bearer {api_key(books.workspace_id)}"}
    with TestClient(create_app(Settings(), books.engine)) as client:
        paid = client.post("/v1/payments", headers=headers,
                           json={"customer": "acme", "amount": "60.00", "reference": "wire-7"})
        assert paid.status_code == 201, paid.text
        assert paid.json()["applied"] == [{"document_id": invoice["id"], "number": invoice["number"], "amount": "60.00"}]
        again = client.post("/v1/payments", headers=headers,
                            json={"customer": "acme", "amount": "60.00", "reference": "wire-7"})
        assert again.json()["id"] == paid.json()["id"]
        owed = client.get("/v1/customers/acme/balance", headers=headers).json()["balances"][0]
        assert owed["receivable"] == "50.00"
        bad = client.post("/v1/payments", headers=headers, json={"customer": "acme", "amount": "-1"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "amount"
        Worker(books.engine, build_registry(Settings())).drain()
        period = invoice["finalized_at"].strftime("%Y-%m")
        rows = client.get("/v1/ledger/trial-balance", headers=headers, params={"period": period}).json()["data"]
        closing = {r["account"]: r["closing"] for r in rows}
        assert closing["Assets:Receivable"] == "50.00" and closing["Assets:Cash"] == "60.00"
        bad_period = client.get("/v1/ledger/trial-balance", headers=headers, params={"period": "January"})
        assert bad_period.status_code == 422
