"""Fan a finalised fact out to every sink the workspace delivers to.

Producers (billing, payments, recognition) say *what* happened; this module decides
*where* it goes: the local ledger always (the embedded books, and the reference for
reconciliation), plus Odoo when the workspace has an Odoo configuration. One outbox job
per sink, each with its own deterministic key, so one sink's failure never holds back
or duplicates another's delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from revbridge.outbox.enqueue import enqueue, enqueue_many
from revbridge.scope import Scope

LEDGER = "ledger"
ODOO = "odoo"


class Sinks:
    """Which sinks get the facts of which legal entity, read once per call.

    The ledger gets everything. Odoo gets the facts of the legal entities its mapping
    names: a workspace may keep one subsidiary's books elsewhere.
    """

    def __init__(self, scope: Scope) -> None:
        # imported here: workspaces loads the whole schema, whose billing area imports this module
        from revbridge.store.tables import legal_entities
        from revbridge.workspaces import workspace_settings

        section = workspace_settings(scope.conn, scope.workspace_id).get(ODOO) or {}
        mapped = set((section.get("legal_entities") or {}) if section else ())
        self._odoo: set[str] = set()
        if mapped:
            rows = scope.conn.execute(legal_entities.select().where(legal_entities.c.workspace_id == scope.workspace_id))
            self._odoo = {r.id for r in rows if r.code in mapped}

    def of(self, legal_entity_id: str | None) -> list[str]:
        return [LEDGER, ODOO] if legal_entity_id in self._odoo else [LEDGER]


Fact = tuple[str, str, str, dict[str, Any], str | None]  # kind, entity id, aggregate, payload, legal entity id


def deliver_many(scope: Scope, facts: Sequence[Fact], version: int = 1) -> None:
    """``deliver`` for many facts in one statement."""
    sinks = Sinks(scope)
    enqueue_many(scope, [(kind, f"{kind}:{entity}:{sink}:v{version}", aggregate, payload, sink)
                         for kind, entity, aggregate, payload, legal_entity_id in facts
                         for sink in sinks.of(legal_entity_id)])


def deliver(scope: Scope, kind: str, entity_id: str, aggregate: str, payload: dict[str, Any],
            legal_entity_id: str | None = None, version: int = 1) -> list[int]:
    """Enqueue ``kind`` for ``entity_id`` to every sink of its legal entity, in the caller's transaction."""
    return [
        enqueue(scope, kind, f"{kind}:{entity_id}:{sink}:v{version}", aggregate, payload, sink=sink)
        for sink in Sinks(scope).of(legal_entity_id)
    ]
