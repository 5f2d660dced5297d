"""The caller's workspace and its API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from revbridge.api.deps import ADMINS, ANYONE, acting, principal
from revbridge.api.encoding import Answer
from revbridge.api.schemas import ApiKeyIn
from revbridge.workspaces import Principal, create_api_key, find_workspace, list_api_keys, revoke_api_key

router = APIRouter(tags=["access"])
Caller = Annotated[Principal, Depends(principal)]


@router.get("/workspace")
def current_workspace(request: Request, who: Caller) -> Any:
    with acting(request, who, *ANYONE) as scope:
        ws = find_workspace(scope.conn, who.workspace_id)
    return Answer({"id": ws["id"], "name": ws["name"], "created_at": ws["created_at"], "role": who.role.value})


@router.get("/api-keys")
def api_keys(request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer({"data": list_api_keys(scope.conn, scope.workspace_id), "next_cursor": None})


@router.post("/api-keys", status_code=201)
def new_api_key(body: ApiKeyIn, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        row, secret = create_api_key(scope.conn, scope.workspace_id, body.name, body.role, scope.now)
    return Answer({**row, "secret": secret}, status_code=201)


@router.post("/api-keys/{key_id}/revoke")
def revoke(key_id: str, request: Request, who: Caller) -> Any:
    with acting(request, who, *ADMINS) as scope:
        return Answer(revoke_api_key(scope.conn, scope.workspace_id, key_id, scope.now))
