"""Fixtures for the connector's tests: one Odoo target, emulated or live, and factories.

The same test bodies run against the emulator (17.0 over XML-RPC, 19.0 over JSON-2) and,
marked ``odoo_live``, against a real Odoo when ``REVBRIDGE_TEST_ODOO_URL``, ``_DB``,
``_USER`` and ``_KEY`` are set (skipped otherwise). Tests that inject failures ask for
``emulated`` and are skipped on a live server. Every test uses its own workspace and
document numbers, so runs against one live database never meet.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from revbridge.connectors.odoo import (
    ConnectionConfig,
    DocumentKind,
    LegalEntityMapping,
    Limits,
    LimitsPolicy,
    OdooConnector,
    OdooDocument,
    OdooLine,
    OdooMapping,
    PartnerSpec,
    ProductSpec,
    Secret,
    TaxMapping,
)
from revbridge.connectors.odoo.emulator import EmulatorHandle, start_emulator

LIVE_ENV = ("REVBRIDGE_TEST_ODOO_URL", "REVBRIDGE_TEST_ODOO_DB", "REVBRIDGE_TEST_ODOO_USER",
            "REVBRIDGE_TEST_ODOO_KEY")


@dataclass
class Target:
    """An Odoo to test against: its address, credentials and, if emulated, its handle."""

    name: str
    url: str
    db: str
    login: str
    key: str
    handle: EmulatorHandle | None = None
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _admin: OdooConnector | None = None

    @property
    def emulated(self) -> EmulatorHandle:
        if self.handle is None:
            pytest.skip("needs failure injection: emulator only")
        return self.handle

    def admin(self) -> OdooConnector:
        """A connector used to prepare data (taxes, settings) outside the test's own."""
        if self._admin is None:
            self._admin = OdooConnector.connect(mapping_for(self, "setup"), limits=Limits())
        return self._admin

    def call(self, model: str, method: str, ids: list[int] | None = None, **named: Any) -> Any:
        return self.admin().transport.call(model, method, ids, **named)

    def sale_tax(self, rate: str) -> int:
        """A sales tax of ``rate`` percent, found or created (names are unique in Odoo)."""
        name = f"rb test {rate}%"
        found = self.call("account.tax", "search", domain=[["name", "=", name],
                                                           ["type_tax_use", "=", "sale"]])
        if found:
            return int(found[0])
        (tax,) = self.call("account.tax", "create", vals_list=[
            {"name": name, "amount": Decimal(rate), "type_tax_use": "sale",
             "amount_type": "percent"}])
        return int(tax)

    def rounding(self) -> str:
        (row,) = self.call("res.company", "read", [1], fields=["tax_calculation_rounding_method"])
        return str(row["tax_calculation_rounding_method"])

    def set_rounding(self, method: str) -> None:
        self.call("res.company", "write", [1], vals={"tax_calculation_rounding_method": method})

    def count(self, model: str, domain: list[Any]) -> int:
        return int(self.call(model, "search_count", domain=domain,
                             context={"active_test": False}))


def mapping_for(
    target: Target, workspace: str, *, timeout: float = 30.0, **entity: Any
) -> OdooMapping:
    taxes = entity.pop("taxes", {})
    values: dict[str, Any] = {
        "company_id": 1,
        "currency": "USD",
        "sale_journal_id": 1,
        "payment_journal_id": 6,
        "payment_method_line_id": 1,
        "misc_journal_id": 3,
        "accounts": {"deferred_revenue": 12, "receivable": 6},
        "taxes": {k: TaxMapping(k, v[0], Decimal(v[1])) for k, v in taxes.items()},
        **entity,
    }
    return OdooMapping(
        workspace=workspace,
        connection=ConnectionConfig(target.url, target.db, target.login, Secret(target.key),
                                    timeout_seconds=timeout),
        legal_entities={"us": LegalEntityMapping("us", **values)},
    )


def _live() -> Target:
    missing = [name for name in LIVE_ENV if not os.environ.get(name)]
    if missing:
        pytest.skip(f"live Odoo not configured: set {', '.join(missing)}")
    url, db, user, key = (os.environ[name] for name in LIVE_ENV)
    return Target("live", url, db, user, key)


@pytest.fixture(
    params=[
        "emulator-17",
        "emulator-19",
        pytest.param("live", marks=pytest.mark.odoo_live),
    ]
)
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "live":
        found = _live()
        yield found
        if found._admin is not None:
            found._admin.close()
        return
    version = "19.0" if request.param.endswith("19") else "17.0"
    with start_emulator(version=version) as handle:
        emulated = Target(request.param, handle.url, handle.db, "admin",
                          handle.create_api_key(), handle)
        yield emulated
        if emulated._admin is not None:
            emulated._admin.close()


ConnectorFactory = Callable[..., OdooConnector]


@pytest.fixture
def connector_factory(target: Target) -> Iterator[ConnectorFactory]:
    """``make(**entity_overrides)``: a connector on a fresh workspace of this test, with
    its own limits (breaker, bucket) unless ``limits`` is given."""
    made: list[OdooConnector] = []

    def make(*, limits: Limits | None = None, workspace: str | None = None,
             timeout: float = 30.0, **entity: Any) -> OdooConnector:
        mapping = mapping_for(target, workspace or f"t{target.run}", timeout=timeout, **entity)
        connector = OdooConnector.connect(
            mapping, limits=limits or Limits(LimitsPolicy(rate_per_second=1000, burst=1000))
        )
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(connector_factory: ConnectorFactory, target: Target) -> OdooConnector:
    return connector_factory(taxes={"vat20": (target.sale_tax("20"), "20")})


DocumentFactory = Callable[..., OdooDocument]


@pytest.fixture
def document(target: Target) -> DocumentFactory:
    """``document(number, lines=..., **overrides)``: an invoice of this test's run."""

    def make(number: str = "INV-1", **overrides: Any) -> OdooDocument:
        customer = PartnerSpec(f"cus_{target.run}", f"Globex {target.run}", vat="DE123456789",
                               country="DE")
        lines = overrides.pop("lines", None) or (
            OdooLine(ProductSpec(f"seat_{target.run}", "Seat"), "Seats", Decimal(2),
                     Decimal(10), Decimal("20.00"), ("vat20",)),
        )
        values: dict[str, Any] = {
            "number": f"{number}-{target.run}",
            "kind": DocumentKind.INVOICE,
            "legal_entity": "us",
            "customer": customer,
            "invoice_date": dt.date(2026, 11, 30),
            "currency": "USD",
            "lines": tuple(lines),
            "amount_untaxed": Decimal("20.00"),
            "amount_tax": Decimal("4.00"),
            "amount_total": Decimal("24.00"),
        }
        values.update(overrides)
        return OdooDocument(**values)

    return make
