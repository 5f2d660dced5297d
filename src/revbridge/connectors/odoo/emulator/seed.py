"""The initial database: a fresh ``base`` + ``account`` install on the generic chart.

Why these ids: the recordings rely on them (FACTS.md "Initial state"): company 1 in USD,
currencies USD 1 / EUR 126 / JPY 25, Germany 57 and the United States 233, taxes 1 and 2
"15%", journals INV 1, BILL 2, MISC 3, EXCH 4, CABA 5, BNK1 6, CSH1 7, accounts 121000
id 6, 251000 id 19, 400000 id 24, payment method line 1 "Manual", admin uid 2. Other
account ids were not recorded and are the emulator's choice.

One addition to a fresh database: an EUR rate of 0.8 (EUR per USD) dated 2000-01-01,
so EUR documents convert as in 10_invoice_eur; EUR stays inactive as on a fresh server.
Pass ``eur_rate=None`` to leave it out.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.emulator.profiles import Profile
from revbridge.connectors.odoo.emulator.registry.environment import Env

EUR_RATE = Decimal("0.8")
EUR_RATE_DATE = dt.date(2000, 1, 1)

CURRENCIES = [
    (
        1,
        {
            "name": "USD",
            "full_name": "United States dollar",
            "symbol": "$",
            "rounding": "0.01",
            "position": "before",
            "active": True,
        },
    ),
    (
        25,
        {
            "name": "JPY",
            "full_name": "Japanese yen",
            "symbol": "¥",
            "rounding": "1.0",
            "position": "before",
            "active": False,
        },
    ),
    (
        126,
        {
            "name": "EUR",
            "full_name": "Euro",
            "symbol": "€",
            "rounding": "0.01",
            "position": "after",
            "active": False,
        },
    ),
]
COUNTRIES = [
    (57, {"name": "Germany", "code": "DE"}),
    (233, {"name": "United States", "code": "US"}),
]
ACCOUNTS = [
    (1, "101402", "Bank Suspense Account", "asset_current", False),
    (2, "101403", "Outstanding Receipts", "asset_current", True),
    (3, "101404", "Outstanding Payments", "asset_current", True),
    (4, "101701", "Liquidity Transfer", "asset_current", True),
    (5, "110100", "Stock Valuation", "asset_current", False),
    (6, "121000", "Account Receivable", "asset_receivable", True),
    (7, "131000", "Tax Paid", "asset_current", False),
    (8, "132000", "Tax Receivable", "asset_current", False),
    (9, "141000", "Prepayments", "asset_prepayments", False),
    (10, "151000", "Fixed Asset", "asset_fixed", False),
    (11, "191000", "Non-current assets", "asset_non_current", False),
    (12, "201000", "Current Liabilities", "liability_current", False),
    (13, "211000", "Account Payable", "liability_payable", True),
    (19, "251000", "Tax Received", "liability_current", False),
    (20, "252000", "Tax Payable", "liability_current", False),
    (21, "291000", "Non-current Liabilities", "liability_non_current", False),
    (22, "301000", "Capital", "equity", False),
    (23, "302000", "Dividends", "equity", False),
    (24, "400000", "Product Sales", "income", False),
    (25, "441000", "Foreign Exchange Gain", "income_other", False),
    (26, "442000", "Cash Difference Gain", "income_other", False),
    (27, "450000", "Other Income", "income_other", False),
    (28, "500000", "Cost of Goods Sold", "expense_direct_cost", False),
    (29, "600000", "Expenses", "expense", False),
    (30, "620000", "Bank Fees", "expense", False),
    (31, "641000", "Foreign Exchange Loss", "expense", False),
    (32, "642000", "Cash Difference Loss", "expense", False),
    (33, "999999", "Undistributed Profits/Losses", "equity_unaffected", False),
    (34, "101401", "Bank", "asset_cash", False),
    (35, "101501", "Cash", "asset_cash", False),
]
JOURNALS = [
    (1, "Customer Invoices", "INV", "sale", 24, {"refund_sequence": True, "sequence": 5}),
    (2, "Vendor Bills", "BILL", "purchase", 29, {"refund_sequence": True, "sequence": 6}),
    (3, "Miscellaneous Operations", "MISC", "general", None, {"sequence": 9}),
    (4, "Exchange Difference", "EXCH", "general", None, {"sequence": 9}),
    (5, "Cash Basis Taxes", "CABA", "general", None, {"sequence": 10}),
    (6, "Bank", "BNK1", "bank", 34, {"payment_sequence": True, "sequence": 10}),
    (7, "Cash", "CSH1", "cash", 35, {"payment_sequence": True, "sequence": 10}),
]
XMLIDS = [
    ("base", "main_company", "res.company", 1),
    ("base", "main_partner", "res.partner", 1),
    ("base", "partner_root", "res.partner", 2),
    ("base", "partner_admin", "res.partner", 3),
    ("base", "user_root", "res.users", 1),
    ("base", "user_admin", "res.users", 2),
    ("base", "USD", "res.currency", 1),
    ("base", "JPY", "res.currency", 25),
    ("base", "EUR", "res.currency", 126),
    ("base", "de", "res.country", 57),
    ("base", "us", "res.country", 233),
    ("uom", "product_uom_unit", "uom.uom", 1),
    ("account", "account_payment_method_manual_in", "account.payment.method", 1),
    ("account", "account_payment_method_manual_out", "account.payment.method", 2),
]


def _at(env: Env, model: str, rid: int, vals: dict[str, Any]) -> int:
    env.store.set_next_id(model, rid)
    created = int(env[model]._create_one(vals))
    assert created == rid, (model, rid, created)
    return created


def seed(env: Env, profile: Profile, *, eur_rate: Decimal | None = EUR_RATE) -> None:
    """Fill an empty store with the fresh-database records (see module docstring)."""
    store = env.store
    _at(env, "uom.uom", 1, {"name": "Units"})
    _at(env, "product.category", 1, {"name": "All"})
    for rid, vals in CURRENCIES:
        _at(env, "res.currency", rid, vals)
    for rid, country in COUNTRIES:
        _at(env, "res.country", rid, country)
    _at(env, "res.partner", 1, {"name": "My Company", "is_company": True, "country_id": 233})
    _at(env, "res.partner", 2, {"name": "OdooBot", "active": False})
    _at(env, "res.partner", 3, {"name": "Administrator", "email": "admin@example.com"})
    _at(
        env,
        "res.company",
        1,
        {
            "name": "My Company",
            "partner_id": 1,
            "currency_id": 1,
            "country_id": 233,
            "chart_template": "generic_coa",
            "tax_calculation_rounding_method": profile.default_rounding,
        },
    )
    env["res.partner"]._write_raw([1, 2, 3], {"company_id": 1})
    _at(env, "res.users", 1, {"login": "__system__", "partner_id": 2, "active": False})
    _at(env, "res.users", 2, {"login": "admin", "partner_id": 3})
    for rid, name, digits in profile.precisions:
        _at(env, "decimal.precision", rid, {"name": name, "digits": digits})
    for rid, code, name, account_type, reconcile in ACCOUNTS:
        _at(
            env,
            "account.account",
            rid,
            {"code": code, "name": name, "account_type": account_type, "reconcile": reconcile},
        )
    for rid, name, code, journal_type, account, extra in JOURNALS:
        _at(
            env,
            "account.journal",
            rid,
            {
                "name": name,
                "code": code,
                "type": journal_type,
                "default_account_id": account or False,
                **extra,
            },
        )
    _at(env, "account.tax.group", 1, {"name": "Tax 15%"})
    _at(env, "account.tax", 1, {"name": "15%", "amount": 15, "type_tax_use": "sale"})
    _at(env, "account.tax", 2, {"name": "15%", "amount": 15, "type_tax_use": "purchase"})
    env["res.company"]._write_raw([1], {"account_sale_tax_id": 1, "account_purchase_tax_id": 2})
    _at(
        env,
        "account.payment.method",
        1,
        {"name": "Manual", "code": "manual", "payment_type": "inbound"},
    )
    _at(
        env,
        "account.payment.method",
        2,
        {"name": "Manual", "code": "manual", "payment_type": "outbound"},
    )
    for rid, journal, payment_type, account in (
        (1, 6, "inbound", 2),
        (2, 6, "outbound", 3),
        (3, 7, "inbound", 2),
        (4, 7, "outbound", 3),
    ):
        _at(
            env,
            "account.payment.method.line",
            rid,
            {
                "name": "Manual",
                "payment_method_id": 1 if payment_type == "inbound" else 2,
                "journal_id": journal,
                "payment_type": payment_type,
                "payment_account_id": account,
            },
        )
    if eur_rate is not None:
        _at(
            env,
            "res.currency.rate",
            1,
            {"currency_id": 126, "name": EUR_RATE_DATE, "rate": eur_rate},
        )
    for module, name, model, res_id in XMLIDS:
        env["ir.model.data"]._create_one(
            {"module": module, "name": name, "model": model, "res_id": res_id, "noupdate": True}
        )
    for model in env.models:
        rows = store.table(model)
        store.set_next_id(model, max(rows, default=0) + 1)
