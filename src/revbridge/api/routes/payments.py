"""Payments, balances and the ledger over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime

from revbridge.api.deps import ADMINS, READERS, acting, principal
from revbridge.api.encoding import Answer
from revbridge.api.schemas import Body
from revbridge.connectors.ledger.reports import general_ledger, month, trial_balance
from revbridge.payments import service
from revbridge.workspaces import Principal

router = APIRouter(tags=["payments"])
Caller = Annotated[Principal, Depends(principal)]


class PaymentIn(Body):
    customer: str
    amount: str
    currency: str | None = None
    received_at: AwareDatetime | None = None
    reference: str | None = None
    source: str = "manual"
    method: str = "manual"
    invoice: str | None = None
    note: str | None = None


class RefundIn(Body):
    amount: str | None = None
    reference: str | None = None
    note: str | None = None


@router.post("/payments", status_code=201)
def record(body: PaymentIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(service.record_payment(scope, **body.model_dump()), status_code=201)


@router.get("/payments")
def list_(request: Request, who: Caller, customer: str | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer({"data": service.list_payments(scope, customer), "next_cursor": None})


@router.get("/payments/{payment_id}")
def show(payment_id: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(service.get_payment(scope, payment_id))


@router.post("/payments/{payment_id}/refund", status_code=201)
def refund(payment_id: str, body: RefundIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(service.record_refund(scope, payment_id, body.amount, body.reference, body.note), status_code=201)


@router.get("/customers/{customer}/balance")
def balance(customer: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(service.balance(scope, customer))


@router.get("/ledger/trial-balance")
def trial(period: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer({"period": period, "data": [r.as_dict() for r in trial_balance(scope, month(period))]})


@router.get("/ledger/entries")
def entries(period: str, request: Request, who: Caller, account: str | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer({"period": period, "data": general_ledger(scope, month(period), account)})
