"""``revbridge config show``, ``revbridge db upgrade``, ``revbridge serve``."""

from __future__ import annotations

import signal
from types import FrameType

import typer

from revbridge.cli.context import JsonOpt, console, emit_json, engine, settings
from revbridge.store.migrate import current_revision, head_revision

config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


@config_app.command("show")
def config_show(as_json: bool = JsonOpt) -> None:
    """Print the effective configuration, secrets masked, and where it came from."""
    current = settings()
    shown = current.masked()
    if as_json:
        emit_json({**shown, "sources": list(current.source)})
        return
    for key, value in shown.items():
        console.print(f"{key:<24} {value}")
    console.print(f"{'sources':<24} {' < '.join(current.source)}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the configured database to the newest schema."""
    eng = engine(migrate=True)
    console.print(f"database at revision {current_revision(eng)} (head {head_revision()})")


def serve(
    host: str | None = typer.Option(None, "--host", envvar="REVBRIDGE_HOST"),
    port: int | None = typer.Option(None, "--port", envvar="REVBRIDGE_PORT"),
) -> None:
    """Run the API (migrating the database first), with an outbox worker unless `run_worker_in_process` is off."""
    import uvicorn

    from revbridge.api.app import create_app
    from revbridge.config import load_settings
    from revbridge.log import configure_logging

    current = load_settings(overrides={"host": host, "port": port})
    configure_logging(current.log_level, current.log_format)
    app = create_app(current, engine())
    worker = None
    if current.run_worker_in_process:  # the embedded shape: one process serves and delivers
        from revbridge.outbox.sinks import build_registry
        from revbridge.outbox.worker import Worker, WorkerOptions

        worker = Worker(engine(), build_registry(current), options=WorkerOptions(concurrency=current.workers))
        worker.start()
    from revbridge.ingest.upkeep import UpkeepProcess, checkpoint

    engine()  # migrated before the upkeep process opens it
    upkeep = UpkeepProcess(current.database_url, log_level=current.log_level, log_format=current.log_format)
    upkeep.start()  # keys, rollups and SQLite's log, off the request path and its GIL
    clock = None
    if current.billing_interval_minutes:  # billing is a function of now: safe on a timer
        from revbridge.billing.schedule import BillingClock

        clock = BillingClock(engine(), current.billing_interval_minutes)
        clock.start()
    # uvicorn shuts down gracefully on SIGTERM, then raises it again with the handler it
    # found: this one ends the run as a normal exit, so the upkeep, the clock and the
    # worker stop and SQLite's log is flushed below (the default handler would just die).
    signal.signal(signal.SIGTERM, _stop_serving)
    try:
        uvicorn.run(app, host=current.host, port=current.port, log_level=current.log_level.lower(), access_log=False)
    finally:
        upkeep.stop()
        if clock is not None:
            clock.stop()
        if worker is not None:
            worker.stop()
        checkpoint(engine(), truncate=True)  # the next process starts with an empty log


def _stop_serving(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
