"""Fixtures for the commercial model: a legal entity, a small catalog, customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from revbridge.catalog.apply import apply_catalog
from revbridge.catalog.customers import create_customer
from revbridge.catalog.entities import create_legal_entity
from revbridge.catalog.model import Catalog
from revbridge.catalog.spec import load_catalog
from revbridge.domain.period import utc

CATALOG = """
meters:
  - code: api_calls
    event_type: api.request
    aggregation: count
plans:
  - code: basic
    name: Basic
    currency: USD
    interval: month
    prices:
      - {code: platform, model: flat, amount: "49.00"}
      - code: api_calls
        model: graduated
        meter: api_calls
        tiers:
          - {up_to: 1000, unit_price: "0"}
          - {up_to: null, unit_price: "0.002"}
  - code: pro
    name: Pro
    currency: USD
    interval: month
    prices:
      - {code: platform, model: flat, amount: "199.00"}
      - {code: seats, model: per_unit, amount: "12.00"}
  - code: pro_eur
    name: Pro (EUR)
    currency: EUR
    interval: month
    prices:
      - {code: platform, model: flat, amount: "189.00"}
"""

NOW = utc(2026, 2, 3, 9)


def catalog_from(text: str = CATALOG) -> Catalog:
    return load_catalog(text, "catalog.yaml")


@pytest.fixture
def commercial(workspace: str, scope_in: Callable[..., Any]) -> str:
    """A workspace with a US entity, the small catalog and customers acme (USD) and bosch (EUR)."""
    with scope_in(workspace, NOW) as scope:
        create_legal_entity(scope, {"code": "us", "name": "Us Inc", "currency": "USD", "country": "US", "invoice_prefix": "US"})
        create_legal_entity(scope, {"code": "eu", "name": "Us GmbH", "currency": "EUR", "country": "DE", "invoice_prefix": "EU"})
        apply_catalog(scope, catalog_from())
        create_customer(scope, {"key": "acme", "name": "Acme", "country": "US", "legal_entity": "us",
                                "external_ids": {"product": "tenant-1"}})
        create_customer(scope, {"key": "bosch", "name": "Bosch", "country": "DE", "legal_entity": "eu"})
    return workspace
