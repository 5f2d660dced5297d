"""The service's billing clock: run billing for every workspace every so often.

A run as of now issues exactly what is due and nothing twice (principle 1), so running
it on a timer is safe however often it fires and however many processes do so; drafts
whose grace period is over are finalised on the same tick. A workspace whose run fails
(a missing tax rate, say) is logged and retried on the next tick; the others go on.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, select

from revbridge.billing.run import bill_workspace, finalize_due
from revbridge.billing.sources import usage_for
from revbridge.errors import RevbridgeError
from revbridge.scope import transaction
from revbridge.store.tables import workspaces

log = logging.getLogger(__name__)


def bill_everything(engine: Engine) -> int:
    """One tick: finalise due drafts and run billing as of now in every workspace."""
    with engine.connect() as conn:
        ids = [r.id for r in conn.execute(select(workspaces.c.id).order_by(workspaces.c.id))]
    issued = 0
    for workspace_id in ids:
        try:
            with transaction(engine, workspace_id, "scheduler") as scope:
                finalize_due(scope)
            summary = bill_workspace(engine, workspace_id, usage_for, actor="scheduler")
            issued += len(summary.invoices) + len(summary.credit_notes)
        except RevbridgeError as exc:
            log.error("scheduled billing refused", extra={"workspace": workspace_id, "error": str(exc)})
    return issued


class BillingClock:
    """A daemon thread that calls ``bill_everything`` every ``minutes``."""

    def __init__(self, engine: Engine, minutes: int) -> None:
        self.engine = engine
        self.seconds = minutes * 60
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="billing-clock", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                bill_everything(self.engine)
            except Exception:  # a tick must never kill the service; the next one tries again
                log.exception("scheduled billing failed")
