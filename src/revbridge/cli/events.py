"""``revbridge events ...``, ``revbridge usage ...`` and ``revbridge exceptions ...``."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from revbridge.catalog.customers import get_customer
from revbridge.catalog.versions import stored_meters
from revbridge.cli.context import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit,
    emit_json,
    engine,
    in_workspace,
    parse_instant,
    settings,
    workspace_engine,
)
from revbridge.domain.period import Period
from revbridge.errors import NotFoundError, ValidationError
from revbridge.ingest import quarantine
from revbridge.ingest.meters import usage_table
from revbridge.ingest.readers import ColumnMapping
from revbridge.ingest.reference import Window
from revbridge.ingest.rollups import roll_up_all
from revbridge.ingest.service import IngestService, limits_from
from revbridge.ingest.store import Counts, counters, late_usage
from revbridge.scope import utcnow

events_app = typer.Typer(help="Usage events: import files, counters.", no_args_is_help=True)
usage_app = typer.Typer(help="Meters: quantities per customer and period.", no_args_is_help=True)
exceptions_app = typer.Typer(help="The exceptions queue: refused inputs kept for a fix and a replay.",
                             no_args_is_help=True)


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        left, sep, right = item.partition("=")
        if not sep or not left or not right:
            raise ValidationError(option, "expected NAME=COLUMN", item)
        out[left] = right
    return out


def _mapping(path: Path, attrs: list[str], data: list[str], numeric: list[str], consts: list[str]) -> ColumnMapping | None:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") and not (attrs or data or numeric or consts):
        return None
    base = ColumnMapping()
    try:
        return ColumnMapping(
            attributes={**base.attributes, **_pairs(attrs, "--map")},
            data=_pairs(data, "--data") or None,
            numeric=frozenset(numeric),
            constants=_pairs(consts, "--set"),
        )
    except ValueError as exc:
        raise ValidationError("--map", str(exc)) from None


@events_app.command("import")
def import_(
    file: Path,
    attr: list[str] = typer.Option([], "--map", help="ATTRIBUTE=COLUMN, e.g. subject=tenant (CSV, Parquet)"),
    data: list[str] = typer.Option([], "--data", help="PROPERTY=COLUMN for data (default: every other column)"),
    numeric: list[str] = typer.Option([], "--numeric", help="a data property to read as an exact number"),
    const: list[str] = typer.Option([], "--set", help="ATTRIBUTE=VALUE for the whole file, e.g. source=export"),
    batch_size: int = typer.Option(5000, "--batch-size"),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate and count, store nothing"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import JSON Lines, CSV or Parquet usage; re-running the same file counts nothing twice."""
    if not file.is_file():
        raise ValidationError("FILE", "no such file", str(file))
    mapping = _mapping(file, attr, data, numeric, const)
    eng, ws_id = workspace_engine(workspace)
    service = IngestService(eng, limits_from(settings()))
    total, errors, started = Counts(), [], time.monotonic()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed:,} events"),
                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console, disable=as_json) as progress:
        task = progress.add_task(f"importing {file.name}", total=None, rate="")
        for records, outcome in service.import_file(ws_id, file, mapping, batch_size, dry_run):
            total.add(outcome.counts)
            errors.extend(outcome.errors[: max(0, 20 - len(errors))])
            rate = total.received / max(time.monotonic() - started, 1e-6)
            progress.update(task, advance=records, rate=f"{rate:,.0f} events/s")
    elapsed = time.monotonic() - started
    summary = {**total.as_dict(), "dry_run": dry_run, "seconds": round(elapsed, 2),
               "events_per_s": round(total.received / max(elapsed, 1e-6))}
    if as_json:
        emit_json({**summary, "errors": errors})
        return
    emit(summary, False, "import" + (" (dry run: nothing stored)" if dry_run else ""),
         ["received", "accepted", "duplicate", "rejected", "seconds", "events_per_s"])
    for error in errors:
        console.print(f"  [red]{error.get('source') or ''} {error['field']}[/red]: {error['reason']}", markup=True)


@events_app.command("stats")
def stats(since: str | None = typer.Option(None, "--from"), until: str | None = typer.Option(None, "--to"),
          workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Daily counters; every row satisfies received = accepted + duplicate + rejected."""
    start, end = parse_instant(since, "--from"), parse_instant(until, "--to")
    with in_workspace(workspace) as scope:
        rows = counters(scope, start.date() if start else None, end.date() if end else None)
    emit(rows, as_json, "events per day", ["day", "received", "accepted", "duplicate", "rejected"])


@usage_app.command("rollup")
def usage_rollup(workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Bring the workspace's hourly rollups up to date (serve and billing runs do it themselves)."""
    eng, ws_id = workspace_engine(workspace)
    started = time.monotonic()
    read = roll_up_all(eng, ws_id, utcnow())
    elapsed = time.monotonic() - started
    emit({"events_read": read, "seconds": round(elapsed, 2)}, as_json, "rollups", ["events_read", "seconds"])


@usage_app.command("show")
def usage_show(
    meter: str,
    since: str = typer.Option(..., "--from"),
    until: str = typer.Option(..., "--to"),
    customer: str | None = typer.Option(None, "--customer"),
    window: Window | None = typer.Option(None, "--window"),
    group_by: list[str] = typer.Option([], "--group-by"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """A meter's quantities over [from, to), per customer (and window, group)."""
    period = Period(parse_instant(since, "--from"), parse_instant(until, "--to"))  # type: ignore[arg-type]
    with in_workspace(workspace) as scope:
        found = stored_meters(scope).get(meter)
        if found is None:
            raise NotFoundError(f"no meter {meter!r} in this workspace")
        customer_id = get_customer(scope, customer)["id"] if customer else None
        table = usage_table(scope.conn, scope.workspace_id, found.meter, period, customer_id, window, group_by or None)
        keys = {c: get_customer(scope, c)["key"] for c in {k.customer_id for k in table}}
    rows = [{"customer": keys[k.customer_id], "group": ", ".join(f"{a}={b}" for a, b in (k.group or ())),
             "window": k.window_start, "quantity": q} for k, q in sorted(table.items(), key=lambda kv: str(kv[0]))]
    emit(rows, as_json, f"{meter} over {period}", ["customer", "group", "window", "quantity"])


@usage_app.command("late")
def usage_late(customer: str | None = typer.Option(None, "--customer"), workspace: str = WorkspaceOpt,
               as_json: bool = JsonOpt) -> None:
    """Usage that arrived after its period was billed, for the next billing run."""
    with in_workspace(workspace) as scope:
        rows = late_usage(scope, get_customer(scope, customer)["id"] if customer else None)
    emit(rows, as_json, "late usage", ["customer_id", "meter", "period_start", "period_end", "events"])


EXC_COLUMNS = ["id", "reason", "state", "event_id", "origin", "attempts", "created_at"]


@exceptions_app.command("list")
def exc_list(state: str | None = typer.Option("open", "--state"), reason: str | None = typer.Option(None, "--reason"),
             limit: int = typer.Option(100, "--limit"), workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Refused inputs, with why."""
    with in_workspace(workspace) as scope:
        page = quarantine.list_exceptions(scope, state, None if reason == "dead_job" else reason, limit)
        rows = quarantine.with_dead_jobs(scope, page, state, reason).rows
    for row in rows:
        row["why"] = "; ".join(f"{p['field']}: {p['reason']}" for p in row["problems"])
    emit(rows, as_json, "exceptions", [*EXC_COLUMNS, "why"])


@exceptions_app.command("show")
def exc_show(exc_id: str, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """One exception with its problems and the raw input."""
    with in_workspace(workspace) as scope:
        row = quarantine.get_exception(scope, exc_id)
    if as_json:
        emit_json(row)
        return
    emit(row, False, f"exception {exc_id}", EXC_COLUMNS)
    for problem in row["problems"]:
        console.print(f"  {problem['field']}: {problem['reason']}", markup=False)
    console.print(row["raw"][:2000], markup=False)


@exceptions_app.command("replay")
def exc_replay(ids: list[str] = typer.Argument(None), reason: str | None = typer.Option(None, "--reason"),
               all_open: bool = typer.Option(False, "--all", help="every open usage exception"),
               workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Validate quarantined events again; fixed ones (e.g. the customer now exists) are accepted."""
    if not ids and not reason and not all_open:
        raise ValidationError("IDS", "name exception ids, or use --reason or --all")
    service = IngestService(engine(), limits_from(settings()))
    with in_workspace(workspace) as scope:
        chosen = ids or quarantine.open_ids(scope, reason)
        counts = service.replay(scope, chosen)
    emit({"replayed": len(chosen), **counts.as_dict()}, as_json, "replay", ["replayed", "accepted", "duplicate"])


@exceptions_app.command("dismiss")
def exc_dismiss(exc_id: str, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Close an exception without replaying it (it is kept for the record)."""
    with in_workspace(workspace) as scope:
        row = quarantine.dismiss(scope, exc_id)
    emit(row, as_json, "dismissed", EXC_COLUMNS)


@events_app.command("purge")
def purge(dry_run: bool = typer.Option(False, "--dry-run"), workspace: str = WorkspaceOpt,
          as_json: bool = JsonOpt) -> None:
    """Delete raw events older than the workspace's usage_retention_days."""
    from revbridge.ingest.retention import purge_expired

    result = purge_expired(*workspace_engine(workspace), dry_run=dry_run)
    emit(result, as_json, "purge" + (" (dry run)" if dry_run else ""), ["purged", "before", "retention_days"])
