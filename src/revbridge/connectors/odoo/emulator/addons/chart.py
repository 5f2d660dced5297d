"""The chart of accounts side: accounts, journals, taxes, payment methods.

Why taxes live here and not with moves: they are configuration the connector reads and
creates (07) — unique names per company and use, a tax group and four repartition lines
made on create — while moves only consume them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.addons.taxes import Tax, line_taxes
from revbridge.connectors.odoo.emulator.money import ZERO, to_decimal
from revbridge.connectors.odoo.emulator.registry import fields as f
from revbridge.connectors.odoo.emulator.registry.models import BaseModel

ACCOUNT_TYPES = [
    ("asset_receivable", "Receivable"),
    ("asset_cash", "Bank and Cash"),
    ("asset_current", "Current Assets"),
    ("asset_non_current", "Non-current Assets"),
    ("asset_prepayments", "Prepayments"),
    ("asset_fixed", "Fixed Assets"),
    ("liability_payable", "Payable"),
    ("liability_credit_card", "Credit Card"),
    ("liability_current", "Current Liabilities"),
    ("liability_non_current", "Non-current Liabilities"),
    ("equity", "Equity"),
    ("equity_unaffected", "Current Year Earnings"),
    ("income", "Income"),
    ("income_other", "Other Income"),
    ("expense", "Expenses"),
    ("expense_depreciation", "Depreciation"),
    ("expense_direct_cost", "Cost of Revenue"),
    ("off_balance", "Off-Balance Sheet"),
]


class AccountAccount(BaseModel):
    _name = "account.account"
    _description = "Account"
    _order = "code"

    code = f.Char("Code", required=True)
    name = f.Char("Account Name", required=True)
    account_type = f.Selection(ACCOUNT_TYPES, "Type", required=True)
    reconcile = f.Boolean("Allow Reconciliation")
    currency_id = f.Many2one("res.currency", "Account Currency")
    company_id = f.Many2one("res.company", "Company", default=1)
    deprecated = f.Boolean("Deprecated")

    def _display_name(self, rid: int) -> str:
        row = self._env.store.row(self._name, rid)
        return f"{row['code']} {row['name']}"


class AccountJournal(BaseModel):
    _name = "account.journal"
    _description = "Journal"
    _order = "sequence, type, code"

    name = f.Char("Journal Name", required=True)
    code = f.Char("Short Code", required=True)
    type = f.Selection(
        [
            ("sale", "Sales"),
            ("purchase", "Purchase"),
            ("cash", "Cash"),
            ("bank", "Bank"),
            ("general", "Miscellaneous"),
        ],
        "Type",
        required=True,
    )
    default_account_id = f.Many2one("account.account", "Default Account")
    refund_sequence = f.Boolean("Dedicated Credit Note Sequence")
    payment_sequence = f.Boolean("Dedicated Payment Sequence")
    sequence = f.Integer("Sequence", default=10)
    company_id = f.Many2one("res.company", "Company", default=1)
    currency_id = f.Many2one("res.currency", "Currency")
    active = f.Boolean("Active", default=True)
    inbound_payment_method_line_ids = f.Many2many(
        "account.payment.method.line",
        "Inbound Payment Methods",
        compute=lambda m, rid: m._method_lines(rid, "inbound"),
    )
    outbound_payment_method_line_ids = f.Many2many(
        "account.payment.method.line",
        "Outbound Payment Methods",
        compute=lambda m, rid: m._method_lines(rid, "outbound"),
    )

    def _method_lines(self, rid: int, payment_type: str) -> list[int]:
        return [
            lid
            for lid, row in self._env.store.table("account.payment.method.line").items()
            if row["journal_id"] == rid and row["payment_type"] == payment_type
        ]


class AccountTaxGroup(BaseModel):
    _name = "account.tax.group"
    _description = "Tax Group"

    name = f.Char("Name", required=True)
    sequence = f.Integer("Sequence", default=10)
    company_id = f.Many2one("res.company", "Company", default=1)


class AccountTaxRepartitionLine(BaseModel):
    _name = "account.tax.repartition.line"
    _description = "Tax Repartition Line"
    _rec_name = None

    tax_id = f.Many2one("account.tax", "Tax")
    document_type = f.Selection([("invoice", "Invoice"), ("refund", "Refund")], "Document Type")
    repartition_type = f.Selection([("base", "Base"), ("tax", "of tax")], "Based On")
    factor_percent = f.Float("%", default=100)
    account_id = f.Many2one("account.account", "Account")


def _repartition(document_type: str) -> Any:
    def compute(model: BaseModel, rid: int) -> list[int]:
        table = model._env.store.table("account.tax.repartition.line")
        return [
            lid
            for lid, row in table.items()
            if row["tax_id"] == rid and row["document_type"] == document_type
        ]

    return compute


class AccountTax(BaseModel):
    _name = "account.tax"
    _description = "Tax"
    _order = "sequence, id"

    name = f.Char("Tax Name", required=True)
    amount = f.Float("Amount", digits=4)
    amount_type = f.Selection(
        [
            ("group", "Group of Taxes"),
            ("fixed", "Fixed"),
            ("percent", "Percentage of Price"),
            ("division", "Percentage of Price Tax Included"),
        ],
        "Tax Computation",
        default="percent",
        required=True,
    )
    type_tax_use = f.Selection(
        [("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")],
        "Tax Type",
        default="sale",
        required=True,
    )
    tax_scope = f.Selection([("service", "Services"), ("consu", "Goods")], "Tax Scope")
    price_include = f.Boolean("Included in Price")
    include_base_amount = f.Boolean("Affect Base of Subsequent Taxes")
    tax_group_id = f.Many2one("account.tax.group", "Tax Group", default=1)
    company_id = f.Many2one("res.company", "Company", default=1)
    country_id = f.Many2one(
        "res.country", "Country", default=lambda m: m._env.store.row("res.company", 1)["country_id"]
    )
    active = f.Boolean("Active", default=True)
    sequence = f.Integer("Sequence", default=1)
    description = f.Char("Label on Invoices")
    invoice_repartition_line_ids = f.Many2many(
        "account.tax.repartition.line", "Distribution for Invoices", compute=_repartition("invoice")
    )
    refund_repartition_line_ids = f.Many2many(
        "account.tax.repartition.line",
        "Distribution for Refund Invoices",
        compute=_repartition("refund"),
    )

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        self._check_unique(rid)
        row = self._rows()[rid]
        account = 7 if row["type_tax_use"] == "purchase" else 19
        lines = self._env["account.tax.repartition.line"]
        for document_type in ("invoice", "refund"):
            lines._create_one(
                {"tax_id": rid, "document_type": document_type, "repartition_type": "base"}
            )
            lines._create_one(
                {
                    "tax_id": rid,
                    "document_type": document_type,
                    "repartition_type": "tax",
                    "account_id": account,
                }
            )

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        for rid in ids:
            self._check_unique(rid)

    def _check_unique(self, rid: int) -> None:
        rows = self._rows()

        def key(row: dict[str, Any]) -> tuple[Any, ...]:
            return (row["name"], row["company_id"], row["type_tax_use"], row["tax_scope"])

        if any(oid != rid and key(row) == key(rows[rid]) for oid, row in rows.items()):
            company = self._env["res.company"]._display_name(rows[rid]["company_id"])
            raise faults.ValidationError(
                self._text("tax_name_unique", name=rows[rid]["name"], company=company)
            )

    def _tax(self, rid: int) -> Tax:
        row = self._rows()[rid]
        return Tax(rid, row["amount"], row["amount_type"], bool(row["price_include"]))

    def _tax_account(self, rid: int, document_type: str = "invoice") -> int | None:
        for row in self._env.store.table("account.tax.repartition.line").values():
            if (row["tax_id"], row["document_type"], row["repartition_type"]) == (
                rid,
                document_type,
                "tax",
            ):
                return int(row["account_id"]) if row["account_id"] else None
        return None

    def compute_all(
        self,
        ids: Any,
        price_unit: Any,
        currency: Any = None,
        quantity: Any = 1.0,
        product: Any = None,
        partner: Any = None,
        is_refund: bool = False,
        handle_price_include: bool = True,
        include_caba_tags: bool = False,
        fixed_multiplicator: Any = 1,
    ) -> dict[str, Any]:
        """Odoo's tax breakdown. Its ``group`` entries are None, which XML-RPC cannot
        marshal (07): the fault comes from the wire, exactly as on a real server."""
        currency_id = currency or self._env.store.row("res.company", 1)["currency_id"]
        currencies = self._env["res.currency"]

        def rounder(value: Decimal) -> Decimal:
            rounded: Decimal = currencies._round(currency_id, value)
            return rounded

        ids = self._ids(ids)
        result = line_taxes(
            to_decimal(quantity),
            to_decimal(price_unit),
            ZERO,
            [self._tax(rid) for rid in ids],
            rounder,
        )
        taxes = []
        for tid, amount in result.taxes:
            row = self._rows()[tid]
            taxes.append(
                {
                    "id": tid,
                    "name": self._display_name(tid),
                    "amount": rounder(amount),
                    "base": result.subtotal,
                    "sequence": row["sequence"],
                    "account_id": self._tax_account(tid) or False,
                    "analytic": False,
                    "use_in_tax_closing": True,
                    "price_include": row["price_include"],
                    "tax_exigibility": "on_invoice",
                    "tax_repartition_line_id": False,
                    "group": None,
                    "tag_ids": [],
                    "tax_ids": [],
                }
            )
        total = result.total(rounder)
        return {
            "base_tags": [],
            "taxes": taxes,
            "total_excluded": result.subtotal,
            "total_included": total,
            "total_void": result.subtotal,
        }


class AccountPaymentMethod(BaseModel):
    _name = "account.payment.method"
    _description = "Payment Methods"

    name = f.Char("Name", required=True)
    code = f.Char("Code", required=True)
    payment_type = f.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")], "Type", required=True
    )


class AccountPaymentMethodLine(BaseModel):
    _name = "account.payment.method.line"
    _description = "Payment Methods"
    _order = "sequence, id"

    name = f.Char("Name")
    payment_method_id = f.Many2one("account.payment.method", "Payment Method", required=True)
    journal_id = f.Many2one("account.journal", "Journal")
    payment_type = f.Selection([("inbound", "Inbound"), ("outbound", "Outbound")], "Type")
    payment_account_id = f.Many2one("account.account", "Outstanding Account")
    sequence = f.Integer("Sequence", default=10)


MODELS: list[type[BaseModel]] = [
    AccountAccount,
    AccountJournal,
    AccountTaxGroup,
    AccountTaxRepartitionLine,
    AccountTax,
    AccountPaymentMethod,
    AccountPaymentMethodLine,
]
