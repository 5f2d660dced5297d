"""``revbridge jobs list|show|retry|replay`` and ``revbridge worker``."""

from __future__ import annotations

import typer

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
    show,
)
from revbridge.jsonenc import dumps
from revbridge.outbox.replay import JobFilter, get_job, list_jobs, replay_jobs, retry_job

jobs_app = typer.Typer(help="Outbox jobs: what is queued, what failed, and replaying it.", no_args_is_help=True)

JOB_COLUMNS = ["id", "kind", "sink", "aggregate", "state", "attempts", "next_attempt_at", "last_error"]
DETAIL_COLUMNS = ["id", "kind", "key", "sink", "aggregate", "state", "attempts", "next_attempt_at", "locked_by",
                  "lease_expires_at", "correlation_id", "created_at", "done_at", "last_error"]

KindOpt = typer.Option(None, "--kind", help="job kind, e.g. odoo.invoice")
SinkOpt = typer.Option(None, "--sink")
ErrorOpt = typer.Option(None, "--error", help="text the last error contains")
SinceOpt = typer.Option(None, "--since", help="last changed at or after (date or RFC 3339 time)")
UntilOpt = typer.Option(None, "--until", help="last changed before")


def _filter(state: str | None, kind: str | None, sink: str | None, error: str | None,
            since: str | None, until: str | None) -> JobFilter:
    return JobFilter(state=state, kind=kind, sink=sink, error=error,
                     since=parse_instant(since, "since"), until=parse_instant(until, "until"))


@jobs_app.command("list")
def jobs_list(
    state: str | None = typer.Option(None, "--state", help="pending, running, done or dead"),
    kind: str | None = KindOpt,
    sink: str | None = SinkOpt,
    error: str | None = ErrorOpt,
    since: str | None = SinceOpt,
    until: str | None = UntilOpt,
    limit: int = typer.Option(50, "--limit"),
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """List jobs, newest first."""
    with in_workspace(workspace) as scope:
        rows, _ = list_jobs(scope, _filter(state, kind, sink, error, since, until), limit)
    emit(rows, as_json, "jobs", JOB_COLUMNS)


@jobs_app.command("show")
def jobs_show(job_id: int, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Show one job, its payload and its last error."""
    with in_workspace(workspace) as scope:
        row = get_job(scope, job_id)
    if as_json:
        emit_json(row)
        return
    for column in DETAIL_COLUMNS:  # one field a line: errors are long and must be read whole
        console.print(f"{column.replace('_', ' '):<18} {show(row.get(column))}", markup=False)
    console.print(f"{'payload':<18} {dumps(row['payload']).decode()}", markup=False)


@jobs_app.command("retry")
def jobs_retry(job_id: int, workspace: str = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Give a dead job one more attempt now (its attempt count is kept)."""
    with in_workspace(workspace) as scope:
        row = retry_job(scope, job_id)
    emit(row, as_json, f"job {job_id} queued again", JOB_COLUMNS)


@jobs_app.command("replay")
def jobs_replay(
    job_ids: list[int] = typer.Argument(None, help="job ids; or select jobs with the options"),
    state: str | None = typer.Option(None, "--state", help="dead (default) or done"),
    kind: str | None = KindOpt,
    sink: str | None = SinkOpt,
    error: str | None = ErrorOpt,
    since: str | None = SinceOpt,
    until: str | None = UntilOpt,
    workspace: str = WorkspaceOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Start jobs over with fresh attempts, by id or by filter; handlers re-read current data."""
    criteria = (state, kind, sink, error, since, until)
    where = _filter(*criteria) if any(c is not None for c in criteria) else None
    with in_workspace(workspace) as scope:
        replayed = replay_jobs(scope, job_ids or (), where)
    if as_json:
        emit_json({"replayed": replayed, "count": len(replayed)})
    else:
        shown = ", ".join(map(str, replayed[:20])) + (" ..." if len(replayed) > 20 else "")
        typer.echo(f"replayed {len(replayed)} job(s){': ' + shown if replayed else ''}")


def worker(
    concurrency: int | None = typer.Option(None, "--concurrency", "-c", help="jobs delivered at once (default: setting `workers`)"),
    batch_size: int = typer.Option(50, "--batch-size", envvar="REVBRIDGE_OUTBOX_BATCH_SIZE", help="jobs claimed per round trip"),
    lease_seconds: float = typer.Option(30.0, "--lease-seconds", envvar="REVBRIDGE_OUTBOX_LEASE_SECONDS"),
    backoff_base: float = typer.Option(1.0, "--backoff-base", envvar="REVBRIDGE_OUTBOX_BACKOFF_BASE", help="seconds"),
    backoff_cap: float = typer.Option(600.0, "--backoff-cap", envvar="REVBRIDGE_OUTBOX_BACKOFF_CAP", help="seconds"),
    max_attempts: int = typer.Option(10, "--max-attempts", envvar="REVBRIDGE_OUTBOX_MAX_ATTEMPTS"),
    max_attempts_for: list[str] = typer.Option([], "--max-attempts-for", help="KIND=N, per job kind"),
    plugin: list[str] = typer.Option([], "--plugin", help="package.module:function registering more sinks"),
    metrics_port: int | None = typer.Option(None, "--metrics-port", envvar="REVBRIDGE_OUTBOX_METRICS_PORT",
                                            help="serve this worker's handler timings for Prometheus"),
) -> None:
    """Deliver outbox jobs until SIGTERM/SIGINT (finishes the job in hand, hands back the rest)."""
    from revbridge.log import configure_logging
    from revbridge.outbox.retry import RetryPolicy, parse_kind_limits
    from revbridge.outbox.sinks import build_registry
    from revbridge.outbox.worker import Worker, WorkerOptions

    current = settings()
    configure_logging(current.log_level, current.log_format)
    policy = RetryPolicy(base=backoff_base, cap=backoff_cap, max_attempts=max_attempts,
                         max_attempts_by_kind=parse_kind_limits(max_attempts_for))
    options = WorkerOptions(concurrency=concurrency or current.workers, batch_size=batch_size,
                            lease_seconds=lease_seconds)
    if metrics_port is not None:  # the queue itself is on the API's /metrics; timings live here
        from prometheus_client import start_http_server

        from revbridge.outbox.metrics import WORKER_REGISTRY

        start_http_server(metrics_port, addr=current.host, registry=WORKER_REGISTRY)
    Worker(engine(), build_registry(current, plugin), policy=policy, options=options).run()
