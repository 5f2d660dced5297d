"""``revbridge workspace ...`` and ``revbridge apikey ...``."""

from __future__ import annotations

import typer

from revbridge.cli.context import JsonOpt, WorkspaceOpt, console, emit, engine, in_workspace
from revbridge.scope import utcnow
from revbridge.workspaces import create_api_key, create_workspace, list_api_keys, list_workspaces, revoke_api_key

workspace_app = typer.Typer(help="Workspaces: the isolation boundary.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys of a workspace.", no_args_is_help=True)


@workspace_app.command("create")
def workspace_create(name: str, as_json: bool = JsonOpt) -> None:
    """Create a workspace."""
    with engine().begin() as conn:
        row = create_workspace(conn, name, utcnow())
    emit(row, as_json, "workspace created", ["id", "name", "created_at"])


@workspace_app.command("list")
def workspace_list(as_json: bool = JsonOpt) -> None:
    """List workspaces."""
    with engine().connect() as conn:
        rows = list_workspaces(conn)
    emit(rows, as_json, "workspaces", ["id", "name", "created_at"])


@apikey_app.command("create")
def apikey_create(
    name: str = typer.Option(..., "--name", help="what the key is for"),
    role: str = typer.Option("admin", "--role", help="admin, ingest or read_only"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Create an API key; its secret is printed once and never stored."""
    with in_workspace(workspace) as scope:
        row, secret = create_api_key(scope.conn, scope.workspace_id, name, role, scope.now)
    if as_json:
        emit({**row, "secret": secret}, True, "", [])
        return
    emit(row, False, "API key created", ["id", "name", "role", "prefix", "created_at"])
    console.print(f"secret (shown once): [bold]{secret}[/bold]")


@apikey_app.command("list")
def apikey_list(workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """List the workspace's API keys (never their secrets)."""
    with in_workspace(workspace) as scope:
        rows = list_api_keys(scope.conn, scope.workspace_id)
    emit(rows, as_json, "API keys", ["id", "name", "role", "prefix", "created_at", "revoked_at"])


@apikey_app.command("revoke")
def apikey_revoke(key_id: str, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Revoke an API key at once."""
    with in_workspace(workspace) as scope:
        row = revoke_api_key(scope.conn, scope.workspace_id, key_id, scope.now)
    emit(row, as_json, "API key revoked", ["id", "name", "role", "revoked_at"])


@workspace_app.command("set")
def workspace_set(name: str, setting: str, value: str | None = typer.Argument(None, help="omit to remove"),
                  as_json: bool = JsonOpt) -> None:
    """Set a workspace setting: usage_retention_days, allowed_event_types (comma-separated)."""
    from revbridge.workspaces import find_workspace, set_workspace_setting

    with engine().begin() as conn:
        settings = set_workspace_setting(conn, find_workspace(conn, name)["id"], setting, value)
    emit([{"setting": k, "value": v} for k, v in sorted(settings.items())], as_json, f"settings of {name}",
         ["setting", "value"])
