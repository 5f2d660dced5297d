"""``check``: does the mapping fit the live Odoo? Every problem, before the first sync.

Why up front: a wrong tax id or a journal of the wrong type would otherwise surface as
a fault on the first invoice of a billing run, or worse, be accepted (a 15 % tax mapped
where revbridge computed 20 % posts and breaks reconciliation). ``check`` reads each
kind of record once for all legal entities (a few calls in total) and reports:

- the server's version and the wire used;
- per company: its name, currency, tax rounding method
  (``tax_calculation_rounding_method``), and the decimal precisions ("Product Price",
  "Account" when the database defines it);
- every mapping that is missing or wrong: ids that do not exist, a sale journal not of
  type sale, a payment journal not bank/cash, a payment method line not on that journal
  or not inbound, an income account not of an income type, a tax not for sales, not a
  percentage, of another rate or price-inclusion, any record of another company, an
  inactive currency.

It never changes anything in Odoo.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.facts import ACCOUNT, PRICE, OdooFacts
from revbridge.connectors.odoo.mapping import LegalEntityMapping, OdooMapping
from revbridge.connectors.odoo.transport import Transport
from revbridge.connectors.odoo.wire import from_wire_amount
from revbridge.errors import Problem

__all__ = ["CheckReport", "CompanyFacts", "check"]

INCOME_TYPES = ("income", "income_other")


@dataclass(frozen=True)
class CompanyFacts:
    legal_entity: str
    company_id: int
    name: str
    currency: str
    tax_rounding: str


@dataclass(frozen=True)
class CheckReport:
    server_version: str
    protocol: str
    precisions: dict[str, int]
    companies: tuple[CompanyFacts, ...]
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def price_digits(self) -> int:
        return self.precisions.get(PRICE, 2)

    def lines(self) -> list[str]:
        """The report as text, one fact or problem per line."""
        out = [f"odoo: {self.server_version} over {self.protocol}"]
        out += [f"precision {n!r}: {d} digits" for n, d in sorted(self.precisions.items())
                if n in (PRICE, ACCOUNT)]
        if ACCOUNT not in self.precisions:
            out.append(f"precision {ACCOUNT!r}: not defined (amounts use currency rounding)")
        for c in self.companies:
            out.append(
                f"legal entity {c.legal_entity}: company {c.company_id} {c.name!r}, "
                f"{c.currency}, tax rounding {c.tax_rounding}"
            )
        out += [f"problem: {p}" for p in self.problems]
        return out


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _many2one(value: Any) -> int | None:
    return int(value[0]) if value else None


class _Records:
    """Reads each model once for every id any legal entity names."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def read(self, model: str, ids: Iterable[int], fields: list[str]) -> dict[int, dict[str, Any]]:
        wanted = sorted({i for i in ids if i})
        if not wanted:
            return {}
        rows = self.transport.call(
            model,
            "search_read",
            domain=[["id", "in", wanted]],
            fields=fields,
            context={"active_test": False},
        )
        return {int(r["id"]): r for r in rows}


def check(transport: Transport, mapping: OdooMapping, facts: OdooFacts | None = None) -> CheckReport:
    """Every missing or wrong mapping of ``mapping`` against the Odoo behind ``transport``."""
    facts = facts or OdooFacts(transport)
    records = _Records(transport)
    entities = list(mapping.legal_entities.values())
    companies = records.read(
        "res.company",
        (e.company_id for e in entities),
        ["name", "currency_id", "tax_calculation_rounding_method"],
    )
    journals = records.read(
        "account.journal",
        [j for e in entities for j in (e.sale_journal_id, e.payment_journal_id, e.misc_journal_id)
         if j],
        ["name", "type", "company_id", "active"],
    )
    accounts = records.read(
        "account.account",
        [a for e in entities for a in (e.default_income_account_id, *e.income_accounts.values(),
                                        *e.accounts.values()) if a],
        ["code", "name", "account_type", "company_id", "deprecated"],
    )
    taxes = records.read(
        "account.tax",
        [t.tax_id for e in entities for t in e.taxes.values()],
        ["name", "type_tax_use", "amount_type", "amount", "price_include", "company_id", "active"],
    )
    categories = records.read(
        "product.category", [c for e in entities for c in e.product_categories.values()], ["name"]
    )
    methods = records.read(
        "account.payment.method.line",
        [e.payment_method_line_id for e in entities if e.payment_method_line_id],
        ["name", "journal_id", "payment_type"],
    )
    currencies = {
        str(r["name"]): r
        for r in transport.call(
            "res.currency",
            "search_read",
            domain=[["name", "in", sorted({e.currency for e in entities})]],
            fields=["name", "active"],
            context={"active_test": False},
        )
    }
    problems: list[Problem] = []
    company_facts = []
    for entity in entities:
        spot = _Spot(f"odoo.legal_entities.{entity.key}", entity, problems)
        company = companies.get(entity.company_id)
        if company is None:
            spot.add("company_id", "no such company in Odoo", entity.company_id)
            continue
        company_currency = company["currency_id"][1] if company["currency_id"] else ""
        company_facts.append(
            CompanyFacts(entity.key, entity.company_id, str(company["name"]), company_currency,
                         str(company["tax_calculation_rounding_method"]))
        )
        currency = currencies.get(entity.currency)
        if currency is None:
            spot.add("currency", "no such currency in Odoo", entity.currency)
        elif not currency["active"]:
            spot.add("currency", "inactive in Odoo; activate it before syncing", entity.currency)
        spot.journal(journals, "sale_journal_id", entity.sale_journal_id, ("sale",))
        spot.journal(journals, "payment_journal_id", entity.payment_journal_id, ("bank", "cash"))
        spot.journal(journals, "misc_journal_id", entity.misc_journal_id, ("general",))
        spot.payment_method(methods, entity)
        if entity.default_income_account_id:
            spot.income(accounts, "default_income_account_id", entity.default_income_account_id)
        for code, account in entity.income_accounts.items():
            spot.income(accounts, f"income_accounts.{code}", account)
        for role, account in entity.accounts.items():
            spot.exists(accounts, f"accounts.{role}", account, company_field="company_id")
        for code, category in entity.product_categories.items():
            if category not in categories:
                spot.add(f"product_categories.{code}", "no such product category in Odoo", category)
        for key, tax in entity.taxes.items():
            spot.tax(taxes, key, tax.tax_id, tax.rate, tax.price_include)
    return CheckReport(
        server_version=transport.version.server_version,
        protocol=transport.protocol,
        precisions=facts.precisions(),
        companies=tuple(company_facts),
        problems=tuple(problems),
    )


class _Spot:
    """Problems of one legal entity, each named by its field in the configuration."""

    def __init__(self, where: str, entity: LegalEntityMapping, problems: list[Problem]) -> None:
        self.where, self.entity, self.problems = where, entity, problems

    def add(self, field_name: str, reason: str, value: Any = None) -> None:
        self.problems.append(Problem(f"{self.where}.{field_name}", reason, value))

    def exists(
        self, rows: dict[int, dict[str, Any]], name: str, rid: int, *, company_field: str
    ) -> dict[str, Any] | None:
        row = rows.get(rid)
        if row is None:
            self.add(name, "no such record in Odoo", rid)
            return None
        company = _many2one(row.get(company_field))
        if company and company != self.entity.company_id:
            self.add(name, f"belongs to company {company}, not {self.entity.company_id}", rid)
        return row

    def journal(
        self, rows: dict[int, dict[str, Any]], name: str, rid: int | None, types: tuple[str, ...]
    ) -> None:
        if not rid:
            return
        row = self.exists(rows, name, rid, company_field="company_id")
        if row is not None and row["type"] not in types:
            self.add(name, f"journal {row['name']!r} is of type {row['type']}, "
                           f"expected {' or '.join(types)}", rid)

    def payment_method(self, rows: dict[int, dict[str, Any]], entity: LegalEntityMapping) -> None:
        rid = entity.payment_method_line_id
        if not rid:
            return
        row = rows.get(rid)
        if row is None:
            self.add("payment_method_line_id", "no such payment method line in Odoo", rid)
            return
        if row["payment_type"] != "inbound":
            self.add("payment_method_line_id", "not an inbound (receive) method", rid)
        if entity.payment_journal_id and _many2one(row["journal_id"]) != entity.payment_journal_id:
            self.add("payment_method_line_id",
                     f"belongs to journal {_many2one(row['journal_id'])}, "
                     f"not {entity.payment_journal_id}", rid)

    def income(self, rows: dict[int, dict[str, Any]], name: str, rid: int) -> None:
        row = self.exists(rows, name, rid, company_field="company_id")
        if row is None:
            return
        if row["account_type"] not in INCOME_TYPES:
            self.add(name, f"account {row['code']} is of type {row['account_type']}, "
                           "expected an income type", rid)
        if row.get("deprecated"):
            self.add(name, f"account {row['code']} is deprecated", rid)

    def tax(
        self,
        rows: dict[int, dict[str, Any]],
        key: str,
        rid: int,
        rate: Decimal | None,
        price_include: bool,
    ) -> None:
        name = f"taxes.{key}"
        row = self.exists(rows, name, rid, company_field="company_id")
        if row is None:
            return
        if row["type_tax_use"] != "sale":
            self.add(name, f"tax {row['name']!r} is for {row['type_tax_use']}, not sales", rid)
        if row["amount_type"] != "percent":
            self.add(name, f"tax {row['name']!r} is of type {row['amount_type']}, "
                           "expected percent", rid)
        amount = from_wire_amount(row["amount"])
        if rate is not None and amount != rate:
            self.add(name, f"tax {row['name']!r} is {_percent(amount)}% in Odoo "
                           f"but {_percent(rate)}% in revbridge", rid)
        if bool(row["price_include"]) != price_include:
            self.add(name, f"tax {row['name']!r} price_include is {bool(row['price_include'])} "
                           f"in Odoo, {price_include} in revbridge", rid)
        if not row["active"]:
            self.add(name, f"tax {row['name']!r} is archived", rid)
