"""``revbridge catalog validate|diff|apply FILE``: the catalog as code."""

from __future__ import annotations

from pathlib import Path

import typer

from revbridge.catalog.apply import Action, CatalogDiff, apply_catalog, diff_catalog
from revbridge.catalog.model import Catalog
from revbridge.catalog.spec import load_catalog
from revbridge.cli.context import JsonOpt, WorkspaceOpt, console, emit_json, in_workspace
from revbridge.errors import ValidationError

catalog_app = typer.Typer(help="Meters, plans and prices as code.", no_args_is_help=True)

_STYLE = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.NEW_VERSION: "cyan",
    Action.RETIRE: "red",
    Action.RESTORE: "green",
    Action.UNCHANGED: "dim",
}


def read_catalog(path: Path) -> Catalog:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("FILE", "no such file", str(path)) from None
    except UnicodeDecodeError:
        raise ValidationError("FILE", "not UTF-8 text", str(path)) from None
    return load_catalog(text, str(path))


def print_diff(diff: CatalogDiff, verb: str) -> None:
    for change in diff.changes:
        style = _STYLE[change.action]
        version = f" v{change.version}" if change.version else ""
        where = f"  (line {change.line})" if change.line else ""
        console.print(f"[{style}]{change.action.value:>11}[/{style}]  {change.kind} {change.code}{version}{where}")
        for line in change.fields:
            console.print(f"             [dim]{line}[/dim]")
    console.print(f"{len(diff.pending)} change(s) {verb}.")


@catalog_app.command("validate")
def validate(file: Path, as_json: bool = JsonOpt) -> None:
    """Check a catalog file; every problem is reported with its line and field."""
    catalog = read_catalog(file)
    if as_json:
        emit_json({"valid": True, "meters": len(catalog.meters), "plans": len(catalog.plans)})
    else:
        console.print(f"{file}: valid ({len(catalog.meters)} meters, {len(catalog.plans)} plans)")


@catalog_app.command("diff")
def diff(file: Path, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Show what `apply` would create, change, version or retire."""
    catalog = read_catalog(file)
    with in_workspace(workspace) as scope:
        result = diff_catalog(scope, catalog)
    emit_json(result.as_dict()) if as_json else print_diff(result, "to apply")


@catalog_app.command("apply")
def apply(file: Path, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Make the workspace's catalog match the file (used plans get new versions)."""
    catalog = read_catalog(file)
    with in_workspace(workspace) as scope:
        result = apply_catalog(scope, catalog)
    emit_json(result.as_dict()) if as_json else print_diff(result, "applied")
