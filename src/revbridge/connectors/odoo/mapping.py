"""Configuration of one workspace's Odoo: where it is, and which Odoo records mean what.

Why a mapping and not lookups by name: journals, taxes and accounts are named freely by
each accountant (and translated), while their ids are stable. The mapping says, per
legal entity, which company, sale journal, income account (or product category) per
price code, ``account.tax`` per revbridge tax, and payment journal to use. ``check``
(``check.py``) verifies every id against the live Odoo before the first sync.

The section is a dict (from the TOML file or the API); ``load_mapping`` reports every
problem at once. The API key is never in the section itself: ``api_key_secret`` names
a revbridge secret (``[revbridge.secrets]`` or ``REVBRIDGE_SECRET_<NAME>``) and
``api_key_env`` an environment variable; it is held in a :class:`Secret` that never
prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from revbridge.connectors.odoo.breaker import BreakerPolicy
from revbridge.connectors.odoo.errors import OdooRefused
from revbridge.connectors.odoo.limits import LimitsPolicy
from revbridge.connectors.odoo.transport import PROTOCOLS, Secret
from revbridge.errors import Problem, ValidationErrors

__all__ = [
    "ConnectionConfig",
    "LegalEntityMapping",
    "OdooMapping",
    "TaxMapping",
    "load_mapping",
]


@dataclass(frozen=True)
class ConnectionConfig:
    url: str
    db: str
    login: str
    api_key: Secret
    protocol: str = "auto"
    timeout_seconds: float = 30.0
    limits: LimitsPolicy = field(default_factory=LimitsPolicy)


@dataclass(frozen=True)
class TaxMapping:
    """A revbridge tax (its key, e.g. the rate's label) as an Odoo ``account.tax``.
    ``rate`` and ``price_include``, when given, are checked against Odoo's tax."""

    key: str
    tax_id: int
    rate: Decimal | None = None
    price_include: bool = False


@dataclass(frozen=True)
class LegalEntityMapping:
    key: str
    company_id: int
    currency: str
    sale_journal_id: int
    payment_journal_id: int | None = None
    payment_method_line_id: int | None = None
    misc_journal_id: int | None = None
    default_income_account_id: int | None = None
    income_accounts: Mapping[str, int] = field(default_factory=dict)
    product_categories: Mapping[str, int] = field(default_factory=dict)
    taxes: Mapping[str, TaxMapping] = field(default_factory=dict)
    accounts: Mapping[str, int] = field(default_factory=dict)

    def tax_ids(self, keys: tuple[str, ...]) -> list[int]:
        missing = [k for k in keys if k not in self.taxes]
        if missing:
            raise OdooRefused(
                f"legal entity {self.key}: no Odoo tax mapped for {', '.join(missing)}"
            )
        return [self.taxes[k].tax_id for k in keys]

    def income_account(self, product_key: str) -> int | None:
        """The income account for a price code, else the default (None: let the
        product's category decide, as Odoo does)."""
        return self.income_accounts.get(product_key, self.default_income_account_id)

    def account(self, ref: str | int) -> int:
        if isinstance(ref, int):
            return ref
        if ref not in self.accounts:
            raise OdooRefused(f"legal entity {self.key}: no Odoo account mapped for role {ref!r}")
        return self.accounts[ref]


@dataclass(frozen=True)
class OdooMapping:
    """One workspace's Odoo: connection and legal entities. ``workspace`` prefixes every
    external id revbridge writes, so two workspaces sharing an Odoo never collide."""

    workspace: str
    connection: ConnectionConfig
    legal_entities: Mapping[str, LegalEntityMapping]

    def entity(self, key: str) -> LegalEntityMapping:
        if key not in self.legal_entities:
            raise OdooRefused(f"no Odoo mapping for legal entity {key!r}")
        return self.legal_entities[key]


class _Reader:
    """Reads typed values from a dict, collecting problems instead of stopping."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def get(self, data: Mapping[str, Any], key: str, where: str, kind: type, default: Any = ...) -> Any:
        if key not in data:
            if default is ...:
                self.problems.append(Problem(f"{where}.{key}", "is required"))
            return None if default is ... else default
        value = data[key]
        try:
            if kind is int and (isinstance(value, bool) or int(value) != value or int(value) < 1):
                raise ValueError
            if kind is Decimal:
                return Decimal(str(value))
            return kind(value)
        except (ValueError, TypeError, InvalidOperation):
            expected = {int: "a positive id", float: "a number", Decimal: "a decimal number"}
            self.problems.append(
                Problem(f"{where}.{key}", f"expected {expected.get(kind, kind.__name__)}", value)
            )
            return None

    def ids(self, data: Mapping[str, Any], key: str, where: str) -> dict[str, int]:
        table = data.get(key) or {}
        if not isinstance(table, Mapping):
            self.problems.append(Problem(f"{where}.{key}", "expected a table of name = id"))
            return {}
        return {str(k): v for k in table if (v := self.get(table, k, f"{where}.{key}", int))}


def _taxes(reader: _Reader, data: Mapping[str, Any], where: str) -> dict[str, TaxMapping]:
    table = data.get("taxes") or {}
    result = {}
    for key, value in table.items():
        spot = f"{where}.taxes"
        if isinstance(value, Mapping):
            tax_id = reader.get(value, "id", f"{spot}.{key}", int)
            rate = reader.get(value, "rate", f"{spot}.{key}", Decimal, None)
            included = bool(value.get("price_include", False))
        else:
            tax_id, rate, included = reader.get(table, key, spot, int), None, False
        if tax_id:
            result[str(key)] = TaxMapping(str(key), tax_id, rate, included)
    return result


def _entity(reader: _Reader, key: str, data: Mapping[str, Any]) -> LegalEntityMapping:
    where = f"odoo.legal_entities.{key}"
    return LegalEntityMapping(
        key=key,
        company_id=reader.get(data, "company_id", where, int),
        currency=reader.get(data, "currency", where, str),
        sale_journal_id=reader.get(data, "sale_journal_id", where, int),
        payment_journal_id=reader.get(data, "payment_journal_id", where, int, None),
        payment_method_line_id=reader.get(data, "payment_method_line_id", where, int, None),
        misc_journal_id=reader.get(data, "misc_journal_id", where, int, None),
        default_income_account_id=reader.get(data, "default_income_account_id", where, int, None),
        income_accounts=reader.ids(data, "income_accounts", where),
        product_categories=reader.ids(data, "product_categories", where),
        taxes=_taxes(reader, data, where),
        accounts=reader.ids(data, "accounts", where),
    )


def load_mapping(
    section: Mapping[str, Any],
    *,
    secrets: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> OdooMapping:
    """Build the mapping from an ``[odoo]`` section; every problem is reported at once
    as ``ValidationErrors`` naming the field (``odoo.legal_entities.us.sale_journal_id``)."""
    problems: list[Problem] = []
    reader = _Reader(problems)
    where = "odoo"
    key = _api_key(section, secrets or {}, env or {}, problems)
    protocol = str(section.get("protocol", "auto"))
    if protocol not in PROTOCOLS:
        problems.append(Problem("odoo.protocol", f"expected one of {', '.join(PROTOCOLS)}", protocol))
    defaults = LimitsPolicy()
    breaker = BreakerPolicy()
    limits = LimitsPolicy(
        rate_per_second=reader.get(section, "rate_per_second", where, float, defaults.rate_per_second),
        burst=reader.get(section, "burst", where, int, defaults.burst),
        max_concurrency=reader.get(section, "max_concurrency", where, int, defaults.max_concurrency),
        acquire_timeout=reader.get(section, "acquire_timeout_seconds", where, float,
                                   defaults.acquire_timeout),
        breaker=BreakerPolicy(
            failure_threshold=reader.get(section, "breaker_failures", where, int,
                                         breaker.failure_threshold),
            open_seconds=reader.get(section, "breaker_open_seconds", where, float,
                                    breaker.open_seconds),
        ),
    )
    connection = ConnectionConfig(
        url=reader.get(section, "url", where, str),
        db=reader.get(section, "db", where, str),
        login=reader.get(section, "login", where, str, "admin"),
        api_key=key,
        protocol=protocol,
        timeout_seconds=reader.get(section, "timeout_seconds", where, float, 30.0),
        limits=limits,
    )
    entities_data = section.get("legal_entities") or {}
    if not entities_data:
        problems.append(Problem("odoo.legal_entities", "at least one legal entity is required"))
    entities = {str(k): _entity(reader, str(k), v) for k, v in entities_data.items()}
    workspace = reader.get(section, "workspace", where, str)
    if problems:
        raise ValidationErrors(problems)
    return OdooMapping(workspace=workspace, connection=connection, legal_entities=entities)


def _api_key(
    section: Mapping[str, Any],
    secrets: Mapping[str, str],
    env: Mapping[str, str],
    problems: list[Problem],
) -> Secret:
    if "api_key" in section:
        problems.append(
            Problem("odoo.api_key", "must not be in the file; use api_key_secret or api_key_env")
        )
    name = section.get("api_key_secret")
    if name and secrets.get(str(name)):
        return Secret(secrets[str(name)])
    variable = section.get("api_key_env")
    if variable and env.get(str(variable)):
        return Secret(env[str(variable)])
    problems.append(
        Problem(
            "odoo.api_key_secret",
            "no API key: name a secret (REVBRIDGE_SECRET_<NAME>) or an environment variable "
            "(api_key_env) that is set",
            name or variable,
        )
    )
    return Secret("")
