"""One customer's bill as of an instant: expected charges, the difference, the documents.

Shared by billing runs (which write the result) and previews (which only show it), so a
preview is exactly what a run would issue. Everything that can refuse (a plan without a
price in the subscription's currency, an unknown meter, a missing tax rate) refuses
here, before a run writes anything for the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from revbridge.billing.charges import Charge, expected_charges
from revbridge.billing.difference import DocumentKind, DocumentPlan, IssuedCharge, differences, plan_documents
from revbridge.billing.documents import NewDocument
from revbridge.billing.inputs import BillingInputs
from revbridge.billing.taxes import tax_customer
from revbridge.domain.period import Period
from revbridge.errors import PricingError
from revbridge.ingest.usage import UsageSource

__all__ = ["CustomerBill", "rate_customer"]


@dataclass(frozen=True)
class CustomerBill:
    customer_id: str
    expected: tuple[Charge, ...]
    plan: DocumentPlan
    documents: tuple[NewDocument, ...]


def rate_customer(
    inputs: BillingInputs,
    customer_id: str,
    usage: UsageSource,
    as_of: datetime,
    issued: Sequence[IssuedCharge],
    workspace_id: str,
    run_id: str | None = None,
) -> CustomerBill:
    """What a run as of ``as_of`` issues for the customer, given what is already issued."""
    customer = inputs.customers[customer_id]
    entity = inputs.taxes.entity(customer["legal_entity_id"])
    cache: dict[tuple[str, Period], Decimal | None] = {}

    def usage_of(meter_code: str, segment: Period) -> Decimal | None:
        key = (meter_code, segment)
        if key not in cache:
            meter = inputs.meters.get(meter_code)
            if meter is None:
                raise PricingError(f"meter {meter_code!r} is not in this workspace's catalog")
            cache[key] = usage.quantity(workspace_id, customer_id, meter, segment)
        return cache[key]

    expected: list[Charge] = []
    for terms in inputs.terms.get(customer_id, []):
        if terms.currency != customer["currency"]:
            raise PricingError(
                f"subscription {terms.subscription_id} is in {terms.currency}, its customer in {customer['currency']}"
            )
        expected.extend(expected_charges(terms, inputs.plans, usage_of, as_of, rounding=entity.rounding_mode))
    plan = plan_documents(differences(expected, issued, as_of), issued)
    docs: list[NewDocument] = []
    if not plan.empty:
        inputs.taxes.check(customer["legal_entity_id"], customer["currency"], tax_customer(customer))
    if plan.invoice:
        docs.append(NewDocument(DocumentKind.INVOICE, customer, customer["currency"], plan.invoice,
                                billing_run_id=run_id))
    for invoice_id, lines in plan.credits:
        docs.append(NewDocument(DocumentKind.CREDIT_NOTE, customer, customer["currency"], lines,
                                credit_of=invoice_id, reason="billing correction", billing_run_id=run_id))
    return CustomerBill(customer_id, tuple(expected), plan, tuple(docs))
