"""Invoices and credit notes, billing runs, previews, tax rates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from revbridge.api.deps import ADMINS, READERS, acting, principal
from revbridge.api.encoding import Answer
from revbridge.billing import documents as docs
from revbridge.billing import preview, taxes
from revbridge.billing.run import run_billing
from revbridge.billing.sources import usage_for
from revbridge.store.paging import Page
from revbridge.workspaces import Principal

router = APIRouter(tags=["billing"])
Caller = Annotated[Principal, Depends(principal)]
Limit = Annotated[int, Query(ge=1, le=500)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BillingRunIn(_Body):
    as_of: AwareDatetime | None = None
    customer: str | None = None
    allow_backdated: bool = False


class DraftIn(_Body):
    customer: str
    notes: str | None = None


class LineIn(_Body):
    description: str = Field(min_length=1, max_length=500)
    unit_price: str = Field(description="a decimal as text, e.g. \"12.50\"")
    quantity: str = "1"


class NotesIn(_Body):
    notes: str


class CreditIn(_Body):
    reason: str = Field(min_length=1, max_length=500)
    amount: str | None = Field(default=None, description="omit to credit the whole invoice")


class VoidIn(_Body):
    reason: str = Field(min_length=1, max_length=500)


class PlanChangePreviewIn(_Body):
    plan: str
    effective_at: AwareDatetime


class TaxRateIn(_Body):
    legal_entity: str
    country: str
    rate: str = Field(description="percent as text, e.g. \"19\"")
    region: str | None = None
    name: str | None = None


class TaxZoneIn(_Body):
    reverse_charge_zone: str | list[str] = Field(description="\"EU\", \"none\" or a list of countries")


def _listing(result: Page) -> dict[str, Any]:
    rows = []
    for r in result.rows:
        row = {k: v for k, v in r._mapping.items() if k != "workspace_id"}
        rows.append(row)
    return {"data": rows, "next_cursor": result.next_cursor}


@router.post("/billing/runs", status_code=201)
def create_run(body: BillingRunIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        summary = run_billing(scope, usage_for(scope), body.as_of, body.customer, body.allow_backdated)
        return Answer(summary.as_dict(), status_code=201)


@router.get("/invoices")
def list_invoices(request: Request, who: Caller, customer: str | None = None, kind: str | None = None,
                  state: str | None = None, limit: Limit = 50, cursor: str | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(_listing(docs.list_documents(scope, customer, kind, state, limit, cursor)))


@router.post("/invoices", status_code=201)
def create_invoice(body: DraftIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(docs.create_draft(scope, body.customer, body.notes), status_code=201)


@router.get("/invoices/{doc_id}")
def show_invoice(doc_id: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(docs.get_document(scope, doc_id))


@router.post("/invoices/{doc_id}/lines", status_code=201)
def add_line(doc_id: str, body: LineIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(docs.add_line(scope, doc_id, body.description, body.unit_price, body.quantity), status_code=201)


@router.post("/invoices/{doc_id}/notes")
def set_notes(doc_id: str, body: NotesIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(docs.set_notes(scope, doc_id, body.notes))


@router.post("/invoices/{doc_id}/finalize")
def finalize(doc_id: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(docs.finalize_document(scope, doc_id))


@router.post("/invoices/{doc_id}/void")
def void(doc_id: str, body: VoidIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(docs.void_invoice(scope, doc_id, body.reason))


@router.post("/invoices/{doc_id}/credit", status_code=201)
def credit(doc_id: str, body: CreditIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(docs.credit_invoice(scope, doc_id, body.reason, body.amount), status_code=201)


@router.get("/customers/{customer}/upcoming-invoice")
def upcoming(customer: str, request: Request, who: Caller, as_of: AwareDatetime | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(preview.preview_upcoming(scope, usage_for(scope), customer, as_of))


@router.post("/subscriptions/{sub_id}/preview-change")
def preview_change(sub_id: str, body: PlanChangePreviewIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(preview.preview_plan_change(scope, usage_for(scope), sub_id, body.plan, body.effective_at))


@router.get("/tax-rates")
def list_tax_rates(request: Request, who: Caller, legal_entity: str | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer({"data": taxes.list_tax_rates(scope, legal_entity)})


@router.post("/tax-rates")
def set_tax_rate(body: TaxRateIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(taxes.set_tax_rate(scope, body.legal_entity, body.country, body.rate, body.region, body.name))


@router.post("/legal-entities/{entity}/reverse-charge-zone")
def set_zone(entity: str, body: TaxZoneIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(taxes.set_reverse_charge_zone(scope, entity, body.reverse_charge_zone))
