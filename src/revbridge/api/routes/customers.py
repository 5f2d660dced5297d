"""Legal entities and customers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from revbridge.api.deps import ADMINS, READERS, acting, principal
from revbridge.api.encoding import Answer
from revbridge.api.routes.common import listing, without
from revbridge.api.schemas import CustomerIn, CustomerPatch, ExternalIdIn, LegalEntityIn
from revbridge.catalog import customers as svc
from revbridge.catalog import entities
from revbridge.workspaces import Principal

router = APIRouter(tags=["customers"])
Caller = Annotated[Principal, Depends(principal)]
Limit = Annotated[int, Query(ge=1, le=500)]


def _entity(row: dict[str, Any]) -> dict[str, Any]:
    return without(row, "workspace_id")


@router.post("/legal-entities", status_code=201)
def create_legal_entity(body: LegalEntityIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(_entity(entities.create_legal_entity(scope, body.model_dump())), status_code=201)


@router.get("/legal-entities")
def list_legal_entities(request: Request, who: Caller, limit: Limit = 50, cursor: str | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(listing(entities.list_legal_entities(scope, limit, cursor), _entity))


@router.get("/legal-entities/{entity}")
def get_legal_entity(entity: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(_entity(entities.get_legal_entity(scope, entity)))


@router.post("/customers", status_code=201)
def create_customer(body: CustomerIn, request: Request, who: Caller) -> Any:
    data = body.model_dump(exclude_none=True)
    with acting(request, who, *ADMINS) as scope:
        return Answer(_entity(svc.create_customer(scope, data)), status_code=201)


@router.get("/customers")
def list_customers(request: Request, who: Caller, limit: Limit = 50, cursor: str | None = None) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(listing(svc.list_customers(scope, limit, cursor), _entity))


@router.get("/customers/{customer}")
def get_customer(customer: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        return Answer(_entity(svc.get_customer(scope, customer)))


@router.patch("/customers/{customer}")
def update_customer(customer: str, body: CustomerPatch, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(_entity(svc.update_customer(scope, customer, body.model_dump(exclude_unset=True))))


@router.post("/customers/{customer}/external-ids", status_code=201)
def link_external_id(customer: str, body: ExternalIdIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        found = svc.get_customer(scope, customer)
        svc.link_external_id(scope, found["id"], body.system, body.external_id)
        return Answer(_entity(svc.get_customer(scope, found["id"])), status_code=201)
