"""Legal entities and customers: checks by field, external ids unique per system."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from revbridge.catalog.customers import (
    create_customer,
    get_customer,
    link_external_id,
    list_customers,
    resolve_external_id,
    update_customer,
)
from revbridge.catalog.entities import create_legal_entity
from revbridge.errors import ConflictError, NotFoundError, ValidationErrors


def test_customer_defaults_to_its_entity_currency(commercial: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(commercial) as scope:
        acme, bosch = get_customer(scope, "acme"), get_customer(scope, "bosch")
    assert (acme["currency"], bosch["currency"]) == ("USD", "EUR")
    assert acme["external_ids"] == {"product": "tenant-1"}


def test_every_bad_field_is_reported_at_once(commercial: str, scope_in: Callable[..., Any]) -> None:
    with pytest.raises(ValidationErrors) as err, scope_in(commercial) as scope:
        create_customer(scope, {"key": "", "name": "", "country": "usa", "currency": "usd", "timezone": "Mars/Base",
                                "email": "nope", "colour": "red", "legal_entity": "us"})
    fields = {p.field for p in err.value.problems}
    assert fields == {"key", "name", "country", "currency", "timezone", "email", "colour"}


def test_external_id_belongs_to_one_customer(commercial: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(commercial) as scope:
        bosch = get_customer(scope, "bosch")
        with pytest.raises(ConflictError, match="already linked"):
            link_external_id(scope, bosch["id"], "product", "tenant-1")
        link_external_id(scope, bosch["id"], "product", "tenant-2")
        assert resolve_external_id(scope.conn, scope.workspace_id, "product", "tenant-2") == bosch["id"]
        assert resolve_external_id(scope.conn, scope.workspace_id, "crm", "tenant-2") is None


def test_external_ids_are_per_workspace(
    commercial: str, workspace_factory: Callable[..., str], scope_in: Callable[..., Any]
) -> None:
    other = workspace_factory("other")
    with scope_in(other) as scope:
        create_legal_entity(scope, {"code": "us", "name": "Other", "currency": "USD", "country": "US", "invoice_prefix": "O"})
        create_customer(scope, {"key": "acme", "name": "Other Acme", "country": "US", "external_ids": {"product": "tenant-1"}})
        assert len(list_customers(scope).rows) == 1
    with scope_in(commercial) as scope:
        assert len(list_customers(scope).rows) == 2
        assert get_customer(scope, "acme")["name"] == "Acme"


def test_customer_of_another_workspace_is_not_found(
    commercial: str, workspace_factory: Callable[..., str], scope_in: Callable[..., Any]
) -> None:
    with scope_in(commercial) as scope:
        acme_id = get_customer(scope, "acme")["id"]
    with pytest.raises(NotFoundError), scope_in(workspace_factory("other")) as scope:
        get_customer(scope, acme_id)


def test_update_refuses_key_and_checks_fields(commercial: str, scope_in: Callable[..., Any]) -> None:
    with scope_in(commercial) as scope:
        updated = update_customer(scope, "acme", {"name": "Acme Corp", "tax_id": "US-1"})
        assert (updated["name"], updated["tax_id"]) == ("Acme Corp", "US-1")
        with pytest.raises(ValidationErrors, match="key: cannot be changed"):
            update_customer(scope, "acme", {"key": "acme2"})


def test_duplicate_customer_key_is_a_conflict(commercial: str, scope_in: Callable[..., Any]) -> None:
    with pytest.raises(ConflictError, match="key"), scope_in(commercial) as scope:
        create_customer(scope, {"key": "acme", "name": "Again", "country": "US", "legal_entity": "us"})


def test_legal_entity_tax_settings_are_checked(workspace: str, scope_in: Callable[..., Any]) -> None:
    with pytest.raises(ValidationErrors) as err, scope_in(workspace) as scope:
        create_legal_entity(scope, {"code": "x", "name": "X", "currency": "XXX", "country": "US",
                                    "invoice_prefix": "X", "tax_rounding": "sometimes"})
    assert {p.field for p in err.value.problems} == {"currency", "tax_rounding"}
