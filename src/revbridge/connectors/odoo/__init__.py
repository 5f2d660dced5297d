"""Odoo connector: syncs invoices, credit notes, payments and journal entries into Odoo.

Start at :class:`OdooConnector` (``client.py``); ``docs.md`` maps the modules and
``docs/odoo.md`` explains configuration, the exact-subtotal rule and the live tests.
"""

from __future__ import annotations

from revbridge.connectors.odoo.breaker import BreakerPolicy, BreakerState, CircuitBreaker
from revbridge.connectors.odoo.check import CheckReport, CompanyFacts, check
from revbridge.connectors.odoo.client import OdooConnector
from revbridge.connectors.odoo.errors import (
    OdooAuthError,
    OdooError,
    OdooRefused,
    OdooRequestError,
    OdooTransientError,
    OdooUnavailable,
    OdooUserError,
    classify,
)
from revbridge.connectors.odoo.limits import Limits, LimitsPolicy, TokenBucket, shared_limits
from revbridge.connectors.odoo.mapping import (
    ConnectionConfig,
    LegalEntityMapping,
    OdooMapping,
    TaxMapping,
    load_mapping,
)
from revbridge.connectors.odoo.transport import OdooVersion, Secret, Transport, open_transport
from revbridge.connectors.odoo.values import (
    AmountDifference,
    ContactSpec,
    DocumentKind,
    EntryResult,
    JournalEntry,
    JournalLine,
    OdooDocument,
    OdooLine,
    OdooMoveChange,
    OdooPaymentChange,
    PartnerSpec,
    PaymentResult,
    PaymentSpec,
    ProductSpec,
    PullResult,
    PullState,
    ReconciliationMismatch,
    SyncResult,
    Watermark,
)
from revbridge.connectors.odoo.xmlids import xmlid_name

__all__ = [
    "AmountDifference",
    "BreakerPolicy",
    "BreakerState",
    "CheckReport",
    "CircuitBreaker",
    "CompanyFacts",
    "ConnectionConfig",
    "ContactSpec",
    "DocumentKind",
    "EntryResult",
    "JournalEntry",
    "JournalLine",
    "LegalEntityMapping",
    "Limits",
    "LimitsPolicy",
    "OdooAuthError",
    "OdooConnector",
    "OdooDocument",
    "OdooError",
    "OdooLine",
    "OdooMapping",
    "OdooMoveChange",
    "OdooPaymentChange",
    "OdooRefused",
    "OdooRequestError",
    "OdooTransientError",
    "OdooUnavailable",
    "OdooUserError",
    "OdooVersion",
    "PartnerSpec",
    "PaymentResult",
    "PaymentSpec",
    "ProductSpec",
    "PullResult",
    "PullState",
    "ReconciliationMismatch",
    "Secret",
    "SyncResult",
    "TaxMapping",
    "TokenBucket",
    "Transport",
    "Watermark",
    "check",
    "classify",
    "load_mapping",
    "open_transport",
    "shared_limits",
    "xmlid_name",
]
