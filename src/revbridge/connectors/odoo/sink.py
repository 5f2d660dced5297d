"""The ``odoo`` sink: outbox handlers that put revbridge's documents and payments in Odoo.

Each handler reads the entity's current state (a replay after a fixed mapping sends
the fixed data), calls the connector outside any database transaction (Odoo may be
slow or down), then records what Odoo holds in ``odoo_links``. A total that Odoo
computed differently from revbridge becomes a reconciliation exception, never silently
accepted. Connector errors carry ``retryable``: the outbox retries transient ones and
dead-letters the rest with Odoo's message; while Odoo's circuit is open, jobs wait.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, select

from revbridge.config import Settings
from revbridge.connectors.odoo.bridge import document_of, payment_specs
from revbridge.connectors.odoo.client import OdooConnector
from revbridge.connectors.odoo.tables import odoo_links
from revbridge.connectors.odoo.values import SyncResult
from revbridge.ids import new_id
from revbridge.ingest.tables import exceptions
from revbridge.outbox.failures import PermanentError
from revbridge.outbox.handlers import Job, Registry
from revbridge.scope import Scope, transaction
from revbridge.store.engine import open_engine
from revbridge.workspaces import workspace_settings

SINK = "odoo"
_engines: dict[str, Engine] = {}
_connectors: dict[tuple[str, str], OdooConnector] = {}
_lock = threading.Lock()


def section_of(engine: Engine, workspace_id: str) -> Mapping[str, Any]:
    with engine.connect() as conn:
        section = workspace_settings(conn, workspace_id).get("odoo")
    if not section:
        raise PermanentError("this workspace has no Odoo configuration (revbridge odoo configure)")
    return section  # type: ignore[no-any-return]


def connector_for(settings: Settings, workspace_id: str, section: Mapping[str, Any]) -> OdooConnector:
    """One connector per workspace and configuration, reused across jobs (connection reuse)."""
    digest = hashlib.sha256(json.dumps(section, sort_keys=True, default=str).encode()).hexdigest()
    with _lock:
        found = _connectors.get((workspace_id, digest))
        if found is None:
            found = OdooConnector.from_settings(settings, section)
            _connectors[(workspace_id, digest)] = found
        return found


def _engine(settings: Settings) -> Engine:
    with _lock:
        if settings.database_url not in _engines:
            _engines[settings.database_url] = open_engine(settings.database_url)
        return _engines[settings.database_url]


def link(scope: Scope, entity_type: str, entity_id: str, model: str, odoo_id: int, name: str | None,
         state: str | None, total: Any = None) -> None:
    where = ((odoo_links.c.workspace_id == scope.workspace_id) & (odoo_links.c.entity_type == entity_type)
             & (odoo_links.c.entity_id == entity_id))
    values = {"odoo_model": model, "odoo_id": odoo_id, "odoo_name": name, "state": state, "amount_total": total,
              "synced_at": scope.now}
    if scope.conn.execute(select(odoo_links.c.id).where(where)).first():
        scope.conn.execute(odoo_links.update().where(where).values(**values))
    else:
        scope.conn.execute(odoo_links.insert().values(id=new_id("odl"), workspace_id=scope.workspace_id,
                                                      entity_type=entity_type, entity_id=entity_id, **values))


def _record_mismatch(scope: Scope, document_id: str, result: SyncResult) -> None:
    assert result.mismatch is not None
    problems = [{"field": d.field, "reason": f"revbridge {d.revbridge}, Odoo {d.odoo}"} for d in result.mismatch.differences]
    scope.conn.execute(exceptions.insert().values(
        id=new_id("exc"), workspace_id=scope.workspace_id, kind="reconciliation", reason="odoo_totals", state="open",
        origin=f"odoo:account.move:{result.move_id}", event_source=None, event_id=document_id,
        raw=str(result.mismatch), problems=problems, received_day=scope.now.date(), attempts=0,
        created_at=scope.now, updated_at=scope.now))


class OdooHandlers:
    """The handlers, bound to the settings they were registered with."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _connector(self, job: Job) -> tuple[Engine, OdooConnector]:
        engine = _engine(self.settings)
        return engine, connector_for(self.settings, job.workspace_id, section_of(engine, job.workspace_id))

    def sync_document(self, job: Job) -> None:
        engine, odoo = self._connector(job)
        with transaction(engine, job.workspace_id, "odoo") as scope:
            doc = document_of(scope, job.payload["document_id"], odoo.mapping)
        result = odoo.sync_document(doc)
        with transaction(engine, job.workspace_id, "odoo") as scope:
            link(scope, "document", job.payload["document_id"], "account.move", result.move_id, result.move_name,
                 result.payment_state, result.amount_total)
            if result.mismatch is not None:
                _record_mismatch(scope, job.payload["document_id"], result)

    def register_payment(self, job: Job) -> None:
        engine, odoo = self._connector(job)
        with transaction(engine, job.workspace_id, "odoo") as scope:
            specs = payment_specs(scope, job.payload["payment_id"])
        for spec in specs:
            result = odoo.register_payment(spec)
            if result.payment_id is not None:
                with transaction(engine, job.workspace_id, "odoo") as scope:
                    link(scope, "payment", spec.key, "account.payment", result.payment_id, result.payment_name,
                         result.invoice_payment_state, spec.amount)

    def refund(self, job: Job) -> None:
        raise PermanentError("refunds are not sent to Odoo: register the outbound payment in Odoo, "
                             "then `revbridge odoo pull-payments` reads it back")


def register(registry: Registry, settings: Settings) -> None:
    """Provider for ``outbox.sinks``: the ``odoo`` sink's handlers."""
    handlers = OdooHandlers(settings)
    for kind in ("invoice.finalized", "credit_note.finalized"):
        registry.on(SINK, kind, handlers.sync_document)
    registry.on(SINK, "payment.recorded", handlers.register_payment)
    registry.on(SINK, "payment.refunded", handlers.refund)
