"""Rating and invoicing: billing runs, documents, numbering, taxes, previews.

See ``docs.md`` beside this file for how the pieces fit.
"""

from __future__ import annotations

from revbridge.billing.charges import BillingTerms, Charge, PlanTerms, expected_charges
from revbridge.billing.coupons import add_coupon
from revbridge.billing.difference import DocumentKind, DocumentPlan, differences, plan_documents
from revbridge.billing.documents import (
    DocumentState,
    add_line,
    create_draft,
    credit_invoice,
    finalize_document,
    get_document,
    list_documents,
    set_notes,
    void_invoice,
)
from revbridge.billing.preview import preview_plan_change, preview_upcoming
from revbridge.billing.run import RunSummary, bill_workspace, finalize_due, run_billing
from revbridge.billing.settings import grace_period, set_grace_period
from revbridge.billing.taxes import list_tax_rates, set_reverse_charge_zone, set_tax_rate

__all__ = [
    "BillingTerms",
    "Charge",
    "DocumentKind",
    "DocumentPlan",
    "DocumentState",
    "PlanTerms",
    "RunSummary",
    "add_coupon",
    "add_line",
    "bill_workspace",
    "create_draft",
    "credit_invoice",
    "differences",
    "expected_charges",
    "finalize_document",
    "finalize_due",
    "get_document",
    "grace_period",
    "list_documents",
    "list_tax_rates",
    "plan_documents",
    "preview_plan_change",
    "preview_upcoming",
    "run_billing",
    "set_grace_period",
    "set_notes",
    "set_reverse_charge_zone",
    "set_tax_rate",
    "void_invoice",
]
