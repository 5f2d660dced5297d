"""Invoices to pay, on each backend: a US entity with a 10% tax, two customers, an invoice factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from revbridge.billing import documents as docs
from revbridge.billing.taxes import set_tax_rate
from revbridge.catalog.customers import create_customer
from revbridge.catalog.entities import create_legal_entity
from revbridge.scope import transaction


@dataclass
class Books:
    engine: Engine
    workspace_id: str

    def scope(self) -> Any:
        return transaction(self.engine, self.workspace_id, "test")

    def invoice(self, customer: str, *amounts: str) -> dict[str, Any]:
        with self.scope() as scope:
            draft = docs.create_draft(scope, customer)
            for n, amount in enumerate(amounts):
                docs.add_line(scope, draft["id"], f"charge {n}", amount)
            return docs.finalize_document(scope, draft["id"])

    def credit(self, invoice_id: str, amount: str | None = None) -> dict[str, Any]:
        with self.scope() as scope:
            return docs.credit_invoice(scope, invoice_id, "correction", Decimal(amount) if amount else None)


@pytest.fixture
def books(engine: Engine, workspace: str, scope_in: Callable[..., Any]) -> Books:
    with scope_in(workspace) as scope:
        create_legal_entity(scope, {"code": "us", "name": "Us", "currency": "USD", "country": "US",
                                    "invoice_prefix": "US"})
        set_tax_rate(scope, "us", "US", "10")
        create_customer(scope, {"key": "acme", "name": "Acme", "country": "US"})
        create_customer(scope, {"key": "globex", "name": "Globex", "country": "US"})
    return Books(engine, workspace)
