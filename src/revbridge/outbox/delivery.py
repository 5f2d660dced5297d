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


def delivery_sinks(scope: Scope) -> list[str]:
    # imported here: workspaces loads the whole schema, whose billing area imports this module
    from revbridge.workspaces import workspace_settings

    sinks = [LEDGER]
    if workspace_settings(scope.conn, scope.workspace_id).get(ODOO):
        sinks.append(ODOO)
    return sinks


def deliver_many(scope: Scope, facts: Sequence[tuple[str, str, str, dict[str, Any]]], version: int = 1) -> None:
    """``deliver`` for many ``(kind, entity_id, aggregate, payload)`` facts in one statement."""
    sinks = delivery_sinks(scope)
    enqueue_many(scope, [(kind, f"{kind}:{entity}:{sink}:v{version}", aggregate, payload, sink)
                         for kind, entity, aggregate, payload in facts for sink in sinks])


def deliver(scope: Scope, kind: str, entity_id: str, aggregate: str, payload: dict[str, Any], version: int = 1) -> list[int]:
    """Enqueue ``kind`` for ``entity_id`` to every sink, in the caller's transaction."""
    return [
        enqueue(scope, kind, f"{kind}:{entity_id}:{sink}:v{version}", aggregate, payload, sink=sink)
        for sink in delivery_sinks(scope)
    ]
