"""Configuration: every problem reported at once, the key never shown; ``check`` finds
every wrong id against the live Odoo."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from revbridge.config import Settings
from revbridge.connectors.odoo import OdooConnector, load_mapping
from revbridge.errors import ValidationErrors
from tests.connectors.odoo.connector.conftest import ConnectorFactory, Target

SECTION: dict[str, Any] = {
    "workspace": "acme",
    "url": "https://acme.example",
    "db": "acme",
    "login": "api@acme.example",
    "api_key_secret": "odoo_api_key",
    "rate_per_second": 5,
    "legal_entities": {
        "us": {
            "company_id": 1,
            "currency": "USD",
            "sale_journal_id": 1,
            "payment_journal_id": 6,
            "income_accounts": {"api_calls": 24},
            "taxes": {"vat20": {"id": 3, "rate": "20"}, "exempt": 4},
        }
    },
}


def test_load_mapping_with_a_secret() -> None:
    mapping = load_mapping(SECTION, secrets={"odoo_api_key": "k3y-value"})
    entity = mapping.entity("us")
    assert entity.taxes["vat20"].rate == Decimal(20) and entity.taxes["exempt"].tax_id == 4
    assert entity.income_account("api_calls") == 24 and entity.income_account("other") is None
    assert mapping.connection.limits.rate_per_second == 5
    assert mapping.connection.api_key.reveal() == "k3y-value"
    assert "k3y-value" not in repr(mapping)


def test_load_mapping_reports_every_problem() -> None:
    broken = {**SECTION, "api_key": "inline", "protocol": "soap",
              "legal_entities": {"us": {"company_id": "one", "taxes": {"vat": {"rate": "x"}}}}}
    with pytest.raises(ValidationErrors) as caught:
        load_mapping(broken, env={})
    fields = {p.field for p in caught.value.problems}
    assert {
        "odoo.api_key", "odoo.api_key_secret", "odoo.protocol",
        "odoo.legal_entities.us.company_id", "odoo.legal_entities.us.currency",
        "odoo.legal_entities.us.sale_journal_id", "odoo.legal_entities.us.taxes.vat.id",
        "odoo.legal_entities.us.taxes.vat.rate",
    } <= fields
    assert "inline" not in str(caught.value)


def test_from_settings_takes_the_key_from_secrets(target: Target) -> None:
    odoo = target.emulated
    section = {**SECTION, "url": odoo.url, "db": odoo.db, "login": "admin"}
    settings = Settings(secrets={"odoo_api_key": target.key})
    with OdooConnector.from_settings(settings, section, env={}) as connector:
        assert connector.check().server_version == odoo.version


def test_check_reports_a_good_mapping(target: Target, connector: OdooConnector) -> None:
    report = connector.check()
    assert report.ok, report.problems
    (company,) = report.companies
    assert company.currency == "USD" and company.tax_rounding in ("round_per_line",
                                                                  "round_globally")
    assert report.price_digits == 2
    text = "\n".join(report.lines())
    assert "'Product Price': 2 digits" in text and "tax rounding" in text


def test_check_reports_every_wrong_mapping(
    target: Target, connector_factory: ConnectorFactory
) -> None:
    purchase_tax = 2  # the seeded "15%" purchase tax
    # EUR is inactive in a fresh database, but a database that has invoiced in EUR has
    # activated it: take whichever currency is inactive on this target now.
    inactive = sorted(str(row["name"]) for row in target.call(
        "res.currency", "search_read", domain=[["active", "=", False]], fields=["name"],
        context={"active_test": False}))
    assert inactive, "the target has no inactive currency"
    connector = connector_factory(
        sale_journal_id=6,  # the bank journal
        payment_journal_id=1,
        default_income_account_id=6,  # receivable, not income
        income_accounts={"calls": 99999},
        product_categories={"calls": 99999},
        taxes={"vat20": (1, "20"), "buy": (purchase_tax, "15"), "ghost": (99999, "5")},
        currency="EUR" if "EUR" in inactive else inactive[0],
        payment_method_line_id=2,  # outbound
    )
    problems: dict[str, str] = {}
    for p in connector.check().problems:
        name = p.field.removeprefix("odoo.legal_entities.us.")
        problems[name] = f"{problems[name]}; {p.reason}" if name in problems else p.reason
    assert "type bank, expected sale" in problems["sale_journal_id"]
    assert "expected bank or cash" in problems["payment_journal_id"]
    assert "expected an income type" in problems["default_income_account_id"]
    assert problems["income_accounts.calls"] == "no such record in Odoo"
    assert problems["product_categories.calls"] == "no such product category in Odoo"
    assert "15% in Odoo but 20% in revbridge" in problems["taxes.vat20"]
    assert "for purchase, not sales" in problems["taxes.buy"]
    assert problems["taxes.ghost"] == "no such record in Odoo"
    assert "inactive" in problems["currency"]
    assert "not an inbound" in problems["payment_method_line_id"]
    assert "belongs to journal 6, not 1" in problems["payment_method_line_id"]
