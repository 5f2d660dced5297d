"""The whole schema: every area's tables on one ``MetaData``.

Each area declares its tables beside its queries (``outbox/tables.py``,
``billing/tables.py``, ...) on ``store.tables.metadata``; importing this module loads
them all, so migrations, schema checks and workspace deletion see every table.
"""

from __future__ import annotations

import importlib

from revbridge.store.tables import metadata

AREA_TABLES = (
    "revbridge.ingest.tables",
    "revbridge.outbox.tables",
    "revbridge.billing.tables",
    "revbridge.payments.tables",
    "revbridge.connectors.ledger.tables",
    "revbridge.connectors.odoo.tables",
)

for _module in AREA_TABLES:
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as exc:  # an area that declares no tables yet
        if exc.name != _module:
            raise

__all__ = ["metadata"]
