"""Base models: users, partners, companies, countries, currencies, precisions, xmlids.

Why these behaviours: the connector maps customers to partners (a child contact takes its
company's VAT but not its country, FACTS.md 12), keys records by external id (a second
(module, name) is refused, 05), and rounds with the currency and the "Product Price"
precision (02).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.money import round_to, to_decimal
from revbridge.connectors.odoo.emulator.registry import fields as f
from revbridge.connectors.odoo.emulator.registry.models import BaseModel, api_model

ADDRESS_FIELDS = ("street", "street2", "zip", "city", "country_id")
COMMERCIAL_FIELDS = ("vat",)


class ResPartner(BaseModel):
    _name = "res.partner"
    _description = "Contact"
    _order = "complete_name, id desc"
    _rec_name = "complete_name"

    name = f.Char("Name")
    complete_name = f.Char("Complete Name", compute=lambda m, rid: m._complete_name(rid))
    is_company = f.Boolean("Is a Company")
    parent_id = f.Many2one("res.partner", "Related Company")
    child_ids = f.One2many("res.partner", "parent_id", "Contact")
    commercial_partner_id = f.Many2one(
        "res.partner", "Commercial Entity", compute=lambda m, rid: m._commercial(rid)
    )
    type = f.Selection(
        [
            ("contact", "Contact"),
            ("invoice", "Invoice Address"),
            ("delivery", "Delivery Address"),
            ("other", "Other Address"),
        ],
        "Address Type",
        default="contact",
    )
    ref = f.Char("Reference")
    vat = f.Char("Tax ID")
    email = f.Char("Email")
    phone = f.Char("Phone")
    street = f.Char("Street")
    street2 = f.Char("Street2")
    zip = f.Char("Zip")
    city = f.Char("City")
    country_id = f.Many2one("res.country", "Country")
    lang = f.Char("Language", default="en_US")
    comment = f.Text("Notes")
    active = f.Boolean("Active", default=True)
    company_id = f.Many2one("res.company", "Company")
    customer_rank = f.Integer("Customer Rank")
    supplier_rank = f.Integer("Supplier Rank")
    property_account_receivable_id = f.Many2one(
        "account.account", "Account Receivable", compute=lambda m, rid: 6
    )
    property_account_payable_id = f.Many2one(
        "account.account", "Account Payable", compute=lambda m, rid: 13
    )

    def _complete_name(self, rid: int) -> str:
        row = self._env.store.row(self._name, rid)
        name = row.get("name") or ""
        parent = row.get("parent_id")
        if parent and not row.get("is_company"):
            return f"{self._complete_name(parent)}, {name}" if name else self._complete_name(parent)
        return name

    def _commercial(self, rid: int) -> int:
        row = self._env.store.row(self._name, rid)
        if row.get("is_company") or not row.get("parent_id"):
            return rid
        return self._commercial(row["parent_id"])

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        if (
            vals.get("type", "contact") == "contact"
            and not vals.get("name")
            and not vals.get("parent_id")
        ):
            raise faults.ValidationError(self._text("contact_name"))
        return vals

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        self._sync_from_parent(rid, vals)

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        for rid in ids:
            if "parent_id" in vals:
                self._sync_from_parent(rid, {})
            for child in self._value(rid, "child_ids"):
                self._sync_from_parent(child, {})

    def _sync_from_parent(self, rid: int, given: dict[str, Any]) -> None:
        """Children share their company's commercial fields; "contact" children also
        share its address (an "invoice" child keeps its own, 04)."""
        row = self._env.store.row(self._name, rid)
        parent = row.get("parent_id")
        if not parent:
            return
        commercial = self._env.store.row(self._name, self._commercial(parent))
        changes = {name: commercial.get(name) for name in COMMERCIAL_FIELDS}
        if row.get("type") == "contact":
            parent_row = self._env.store.row(self._name, parent)
            changes.update({n: parent_row.get(n) for n in ADDRESS_FIELDS if n not in given})
        if any(row.get(k) != v for k, v in changes.items()):
            self._env.store.update(self._name, rid, changes)


class ResUsers(BaseModel):
    _name = "res.users"
    _description = "User"
    _inherits: ClassVar[dict[str, str]] = {"res.partner": "partner_id"}

    partner_id = f.Many2one("res.partner", "Related Partner", required=True)
    login = f.Char("Login", required=True)
    company_id = f.Many2one("res.company", "Company", default=1)
    active = f.Boolean("Active", default=True)

    def _display_name(self, rid: int) -> str:
        return str(
            self._env["res.partner"]._display_name(
                self._env.store.row(self._name, rid)["partner_id"]
            )
        )

    @api_model
    def context_get(self) -> dict[str, Any]:
        return {"lang": "en_US", "tz": False, "uid": self._env.uid}


class ResCompany(BaseModel):
    _name = "res.company"
    _description = "Companies"

    name = f.Char("Company Name", required=True)
    partner_id = f.Many2one("res.partner", "Partner")
    currency_id = f.Many2one("res.currency", "Currency", required=True, default=1)
    country_id = f.Many2one("res.country", "Country")
    tax_calculation_rounding_method = f.Selection(
        [("round_per_line", "Round per Line"), ("round_globally", "Round Globally")],
        "Tax Calculation Rounding Method",
        default="round_per_line",
    )
    account_sale_tax_id = f.Many2one("account.tax", "Default Sale Tax")
    account_purchase_tax_id = f.Many2one("account.tax", "Default Purchase Tax")
    chart_template = f.Char("Chart Template")
    fiscalyear_lock_date = f.Date("Lock Date")


class ResCountry(BaseModel):
    _name = "res.country"
    _description = "Country"
    _order = "name"

    name = f.Char("Country Name", required=True)
    code = f.Char("Country Code")


class ResCurrency(BaseModel):
    """Currencies round half-up to their ``rounding`` (02) and know their rate on the
    context ``date`` (10)."""

    _name = "res.currency"
    _description = "Currency"
    _order = "active desc, name"

    name = f.Char("Currency", required=True)
    full_name = f.Char("Name")
    symbol = f.Char("Symbol", required=True)
    rounding = f.Float("Rounding Factor", default=0.01)
    decimal_places = f.Integer("Decimal Places", compute=lambda m, rid: m._decimal_places(rid))
    position = f.Selection(
        [("after", "After Amount"), ("before", "Before Amount")], "Symbol Position", default="after"
    )
    active = f.Boolean("Active", default=True)
    rate = f.Float("Current Rate", compute=lambda m, rid: m._rate_on(rid, m._context_date()))
    inverse_rate = f.Float(
        "Inverse Rate", compute=lambda m, rid: Decimal(1) / m._rate_on(rid, m._context_date())
    )
    rate_ids = f.One2many("res.currency.rate", "currency_id", "Rates")

    def _decimal_places(self, rid: int) -> int:
        rounding = self._env.store.row(self._name, rid)["rounding"]
        return max(0, -rounding.normalize().as_tuple().exponent) if rounding < 1 else 0

    def _context_date(self) -> dt.date:
        value = self._env.context.get("date")
        return dt.date.fromisoformat(str(value)[:10]) if value else self._env.today

    def _rate_on(self, rid: int, day: dt.date) -> Decimal:
        """Units of this currency per unit of the company currency on ``day``."""
        company_currency = self._env.store.row("res.company", 1)["currency_id"]
        if rid == company_currency:
            return Decimal(1)
        best: tuple[dt.date, Decimal] | None = None
        for row in self._env.store.table("res.currency.rate").values():
            if (
                row["currency_id"] == rid
                and row["name"] <= day
                and (best is None or row["name"] > best[0])
            ):
                best = (row["name"], row["rate"])
        return best[1] if best else Decimal(1)

    def _round(self, rid: int, amount: Decimal) -> Decimal:
        return round_to(amount, self._env.store.row(self._name, rid)["rounding"])

    def round(self, ids: Any, amount: Any) -> Decimal:
        return self._round(self._ids(ids)[0], to_decimal(amount))

    def is_zero(self, ids: Any, amount: Any) -> bool:
        return self._round(self._ids(ids)[0], to_decimal(amount)) == 0

    def compare_amounts(self, ids: Any, amount1: Any, amount2: Any) -> int:
        rid = self._ids(ids)[0]
        a, b = self._round(rid, to_decimal(amount1)), self._round(rid, to_decimal(amount2))
        return (a > b) - (a < b)


class ResCurrencyRate(BaseModel):
    _name = "res.currency.rate"
    _description = "Currency Rate"
    _order = "name desc"

    name = f.Date("Date", required=True, default=lambda m: m._env.today)
    rate = f.Float("Technical Rate", default=1)
    currency_id = f.Many2one("res.currency", "Currency", required=True)
    company_id = f.Many2one("res.company", "Company", default=1)
    company_rate = f.Float("Unit per USD", compute=lambda m, rid: m._company_rate(rid))
    inverse_company_rate = f.Float(
        "USD per Unit", compute=lambda m, rid: Decimal(1) / m._company_rate(rid)
    )

    def _company_rate(self, rid: int) -> Decimal:
        rate: Decimal = self._env.store.row(self._name, rid)["rate"]
        return rate or Decimal(1)

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        self._check_unique([rid])

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        self._check_unique(ids)

    def _check_unique(self, ids: list[int]) -> None:
        rows = self._rows()
        for rid in ids:
            key = (rows[rid]["name"], rows[rid]["currency_id"], rows[rid]["company_id"])
            if any(
                oid != rid and (r["name"], r["currency_id"], r["company_id"]) == key
                for oid, r in rows.items()
            ):
                raise faults.ValidationError(self._text("rate_unique"))


class DecimalPrecision(BaseModel):
    _name = "decimal.precision"
    _description = "Decimal Precision"

    name = f.Char("Usage", required=True)
    digits = f.Integer("Digits", default=2)

    def precision_get(self, ids: Any, application: str) -> int:
        """Takes ids first over RPC although it ignores them (02)."""
        return self._precision(application)


class IrModelData(BaseModel):
    _name = "ir.model.data"
    _description = "Model Data"

    name = f.Char("External Identifier", required=True)
    module = f.Char("Module", required=True)
    model = f.Char("Model Name", required=True)
    res_id = f.Integer("Record ID")
    noupdate = f.Boolean("Non Updatable")
    complete_name = f.Char(
        "Complete ID",
        compute=lambda m, rid: "{module}.{name}".format(**m._env.store.row(m._name, rid)),
    )

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        self._check_unique(rid)

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        for rid in ids:
            self._check_unique(rid)

    def _check_unique(self, rid: int) -> None:
        row = self._rows()[rid]
        if any(
            oid != rid and (r["module"], r["name"]) == (row["module"], row["name"])
            for oid, r in self._rows().items()
        ):
            raise faults.sql_unique(
                "ir_model_data_module_name_uniq_index",
                "module, name",
                f"{row['module']}, {row['name']}",
            )

    def _lookup(self, module: str, name: str) -> tuple[str, int] | None:
        for row in self._rows().values():
            if (row["module"], row["name"]) == (module, name):
                return row["model"], row["res_id"]
        return None

    @api_model
    def check_object_reference(
        self, module: str, xml_id: str, raise_on_access_error: bool = False
    ) -> list[Any]:
        found = self._lookup(module, xml_id)
        if found is None:
            raise ValueError(self._text("xmlid_missing", xmlid=f"{module}.{xml_id}"))
        return list(found)


class UomUom(BaseModel):
    _name = "uom.uom"
    _description = "Product Unit of Measure"

    name = f.Char("Unit", required=True)
    active = f.Boolean("Active", default=True)


MODELS: list[type[BaseModel]] = [
    ResPartner,
    ResUsers,
    ResCompany,
    ResCountry,
    ResCurrency,
    ResCurrencyRate,
    DecimalPrecision,
    IrModelData,
    UomUom,
]
