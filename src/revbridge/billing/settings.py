"""Billing settings kept on the workspace: the grace period before finalisation.

Why a grace period: finance teams like to look at a run's invoices (add a one-off
charge, a note) before they get a number and leave for Odoo. With a grace period, a run
leaves its documents as drafts that a later run (or ``finalize_due``) finalises once
the period has passed; drafts are regenerated on every run until then. The default is
0: documents are finalised by the run that computes them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from revbridge.errors import ValidationError
from revbridge.scope import Scope
from revbridge.store.tables import workspaces

__all__ = ["grace_period", "set_grace_period"]

MAX_GRACE = timedelta(days=31)


def grace_period(scope: Scope) -> timedelta:
    settings = scope.conn.execute(select(workspaces.c.settings).where(workspaces.c.id == scope.workspace_id)).scalar_one()
    seconds = (settings or {}).get("billing", {}).get("grace_period_seconds", 0)
    return timedelta(seconds=int(seconds))


def set_grace_period(scope: Scope, seconds: Any) -> timedelta:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_GRACE.total_seconds():
        raise ValidationError("grace_period_seconds", f"whole seconds from 0 to {int(MAX_GRACE.total_seconds())}", seconds)
    settings = dict(scope.conn.execute(
        select(workspaces.c.settings).where(workspaces.c.id == scope.workspace_id)).scalar_one() or {})
    settings["billing"] = {**settings.get("billing", {}), "grace_period_seconds": seconds}
    scope.conn.execute(update(workspaces).where(workspaces.c.id == scope.workspace_id).values(settings=settings))
    return timedelta(seconds=seconds)
