"""Subscriptions and their effective-dated changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from revbridge.api.deps import ADMINS, READERS, acting, principal
from revbridge.api.encoding import Answer
from revbridge.api.routes.common import listing, without
from revbridge.api.schemas import CancelIn, ChangePlanIn, ChangeQuantityIn, SubscriptionIn
from revbridge.catalog import subscriptions as svc
from revbridge.workspaces import Principal

router = APIRouter(tags=["subscriptions"])
Caller = Annotated[Principal, Depends(principal)]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.post("/subscriptions", status_code=201)
def create(body: SubscriptionIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(svc.create_subscription(scope, **body.model_dump()), status_code=201)


@router.get("/subscriptions")
def list_(request: Request, who: Caller, customer: str | None = None, limit: Limit = 50, cursor: str | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(listing(svc.list_subscriptions(scope, customer, limit, cursor), lambda r: without(r, "workspace_id")))


@router.get("/subscriptions/{sub_id}")
def show(sub_id: str, request: Request, who: Caller, as_of: AwareDatetime | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(svc.get_subscription(scope, sub_id, as_of))


@router.post("/subscriptions/{sub_id}/change-plan")
def change_plan(sub_id: str, body: ChangePlanIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(svc.change_plan(scope, sub_id, body.plan, body.effective_at))


@router.post("/subscriptions/{sub_id}/change-quantity")
def change_quantity(sub_id: str, body: ChangeQuantityIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(svc.change_quantity(scope, sub_id, body.quantity, body.effective_at))


@router.post("/subscriptions/{sub_id}/cancel")
def cancel(sub_id: str, body: CancelIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(svc.cancel(scope, sub_id, body.effective_at, body.at_period_end))
