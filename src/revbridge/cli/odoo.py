"""``revbridge odoo configure|check|sync|status|pull-payments|emulate``."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import typer
from sqlalchemy import func, select

from revbridge.cli.context import JsonOpt, WorkspaceOpt, console, emit, emit_json, engine, in_workspace, settings
from revbridge.errors import ValidationError

odoo_app = typer.Typer(help="Odoo: configure, check, sync, pull payments, or run the emulator.", no_args_is_help=True)


@odoo_app.command("configure")
def configure(file: Path, workspace: str = WorkspaceOpt) -> None:
    """Store the workspace's [odoo] section from a TOML file (checked first, key never stored)."""
    from revbridge.connectors.odoo.mapping import load_mapping
    from revbridge.workspaces import set_workspace_setting

    try:
        data = tomllib.loads(file.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError("FILE", str(exc), str(file)) from None
    section = data.get("odoo")
    if not isinstance(section, dict):
        raise ValidationError("odoo", "the file needs an [odoo] table", str(file))
    mapping = load_mapping(section, secrets=settings().secrets, env=os.environ)
    with in_workspace(workspace) as scope:
        set_workspace_setting(scope.conn, scope.workspace_id, "odoo", section)
    console.print(f"Odoo at {mapping.connection.url} (db {mapping.connection.db}) configured for "
                  f"{', '.join(sorted(mapping.legal_entities))}. Run `revbridge odoo check` next.")


def _connector(workspace: str):  # type: ignore[no-untyped-def]
    from revbridge.connectors.odoo.sink import connector_for, section_of

    with in_workspace(workspace) as scope:
        ws = scope.workspace_id
    return ws, connector_for(settings(), ws, section_of(engine(), ws))


@odoo_app.command("check")
def check(workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Check every mapped id against Odoo; print the version and the company's rounding."""
    _, odoo = _connector(workspace)
    report = odoo.check()
    if as_json:
        emit_json({"ok": report.ok, "lines": report.lines()})
    else:
        for line in report.lines():
            console.print(line, markup=False)
    if not report.ok:
        raise typer.Exit(1)


@odoo_app.command("sync")
def sync(workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Deliver every pending Odoo job now (the worker does this continuously)."""
    from revbridge.connectors.odoo.sink import register
    from revbridge.outbox.handlers import Registry
    from revbridge.outbox.worker import Worker

    registry = Registry()
    register(registry, settings())
    delivered = Worker(engine(), registry).drain()
    status(workspace, as_json, delivered)


@odoo_app.command("status")
def status(workspace: str = WorkspaceOpt, as_json: bool = JsonOpt, delivered: int | None = None) -> None:
    """Odoo jobs by state, what is linked, and open reconciliation breaks."""
    from revbridge.connectors.odoo.tables import odoo_links
    from revbridge.ingest.tables import exceptions
    from revbridge.outbox.tables import outbox_jobs

    with in_workspace(workspace) as scope:
        jobs = {r.state: r.n for r in scope.conn.execute(select(outbox_jobs.c.state, func.count().label("n")).where(
            outbox_jobs.c.workspace_id == scope.workspace_id, outbox_jobs.c.sink == "odoo").group_by(outbox_jobs.c.state))}
        links = scope.conn.execute(select(odoo_links).where(odoo_links.c.workspace_id == scope.workspace_id).order_by(
            odoo_links.c.synced_at)).all()
        breaks = scope.conn.execute(select(func.count()).select_from(exceptions).where(
            exceptions.c.workspace_id == scope.workspace_id, exceptions.c.kind == "reconciliation",
            exceptions.c.state == "open")).scalar_one()
    data = {"jobs": jobs, "linked": len(links), "open_breaks": breaks, "delivered_now": delivered}
    if as_json:
        emit_json({**data, "links": [dict(r._mapping) for r in links]})
        return
    console.print(f"jobs {jobs or '{}'}; linked records {len(links)}; open reconciliation breaks {breaks}"
                  + (f"; delivered now {delivered}" if delivered is not None else ""))
    emit([dict(r._mapping) for r in links[-20:]], False, "latest in Odoo",
         ["entity_type", "entity_id", "odoo_model", "odoo_id", "odoo_name", "state", "amount_total"])


@odoo_app.command("pull-payments")
def pull_payments(workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Read payments, refunds and reversals made in Odoo since the last pull."""
    from revbridge.connectors.odoo.pull import apply_pull, load_state

    _, odoo = _connector(workspace)
    with in_workspace(workspace) as scope:
        state = load_state(scope)
    result = odoo.pull_changes(state)
    with in_workspace(workspace, actor="odoo") as scope:
        summary = apply_pull(scope, result)
    emit(summary.as_dict(), as_json, "pulled from Odoo", ["payments_recorded", "skipped_own", "for_review", "moves_seen"])


@odoo_app.command("emulate")
def emulate(port: int = typer.Option(8069, "--port"), version: str = typer.Option("17.0", "--version")) -> None:
    """Serve the Odoo emulator (a test double of Odoo's external API) until Ctrl-C."""
    from revbridge.connectors.odoo.emulator import main

    raise typer.Exit(main(["--port", str(port), "--version", version]))
