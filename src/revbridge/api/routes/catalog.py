"""Catalog as code over HTTP: validate, diff and apply a YAML file; read meters and plans.

The body is the catalog file itself (``application/yaml`` or ``text/plain``), so the
file a team keeps in git is exactly what is sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from revbridge.api.deps import ADMINS, READERS, acting, principal
from revbridge.api.encoding import Answer
from revbridge.catalog.apply import apply_catalog, diff_catalog
from revbridge.catalog.model import meter_to_dict, plan_to_dict
from revbridge.catalog.spec import load_catalog
from revbridge.catalog.versions import latest_plans, plan_versions_of, stored_meters
from revbridge.errors import ValidationError
from revbridge.workspaces import Principal

router = APIRouter(tags=["catalog"])
Caller = Annotated[Principal, Depends(principal)]
_YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/yaml": {"schema": {"type": "string"}}},
        "description": "the catalog file (meters and plans)",
    }
}


async def _catalog(request: Request) -> Any:
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("body", "the catalog file must be UTF-8") from None
    return load_catalog(text, "catalog.yaml")


@router.post("/catalog/validate", openapi_extra=_YAML_BODY)
async def validate(request: Request, who: Caller) -> Any:
    who.require(*READERS)
    catalog = await _catalog(request)
    return Answer({"valid": True, "meters": len(catalog.meters), "plans": len(catalog.plans)})


@router.post("/catalog/diff", openapi_extra=_YAML_BODY)
async def diff(request: Request, who: Caller) -> Any:
    catalog = await _catalog(request)
    with acting(request, who, *READERS) as scope:
        return Answer(diff_catalog(scope, catalog).as_dict())


@router.post("/catalog/apply", openapi_extra=_YAML_BODY)
async def apply(request: Request, who: Caller) -> Any:
    catalog = await _catalog(request)
    with acting(request, who, *ADMINS) as scope:
        return Answer(apply_catalog(scope, catalog).as_dict())


@router.get("/meters")
def meters(request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        found = stored_meters(scope)
    data = [{**meter_to_dict(m.meter), "status": m.status} for _, m in sorted(found.items())]
    return Answer({"data": data, "next_cursor": None})


@router.get("/plans")
def plans(request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        found = latest_plans(scope)
    data = [_plan(p) for _, p in sorted(found.items())]
    return Answer({"data": data, "next_cursor": None})


def _plan(stored: Any) -> dict[str, Any]:
    return {
        **plan_to_dict(stored.plan),
        "id": stored.id,
        "version": stored.version,
        "status": stored.status,
        "used": stored.used,
    }


@router.get("/plans/{code}")
def plan(code: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *READERS) as scope:
        versions = plan_versions_of(scope, code)
    return Answer({**_plan(versions[-1]), "versions": [_plan(v) for v in versions]})
