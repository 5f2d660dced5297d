"""The chart of accounts, in Beancount's naming so an export loads as it is."""

from __future__ import annotations

import re

RECEIVABLE = "Assets:Receivable"
UNBILLED = "Assets:UnbilledReceivable"
CASH = "Assets:Cash"
TAX_PAYABLE = "Liabilities:TaxPayable"
DEFERRED = "Liabilities:DeferredRevenue"
INCOME = "Income"
OTHER_INCOME = "Income:Other"

ACCOUNTS = (RECEIVABLE, UNBILLED, CASH, TAX_PAYABLE, DEFERRED, OTHER_INCOME)


def component(text: str) -> str:
    """A Beancount account component: ``api_calls`` -> ``ApiCalls``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or not name[0].isalpha():
        name = "X" + name
    return name


def revenue_account(price_code: str | None) -> str:
    """Revenue per product line: one income account per price code."""
    return f"{INCOME}:{component(price_code)}" if price_code else OTHER_INCOME
