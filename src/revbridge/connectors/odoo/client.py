"""``OdooConnector``: the one object the outbox handlers and the CLI talk to.

Why a facade: the parts (transport, external ids, partners and products, moves,
payments, journal entries, check) share one transport, one set of cached facts and one
mapping; building them in the right order is the facade's job, and its methods are the
connector's whole public surface. Each sync method is idempotent: call it again after
any failure, with the same value, and it lands once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Self

import httpx

from revbridge.config import Settings
from revbridge.connectors.odoo.check import CheckReport, check
from revbridge.connectors.odoo.facts import OdooFacts
from revbridge.connectors.odoo.journal import Journal
from revbridge.connectors.odoo.limits import Limits, shared_limits
from revbridge.connectors.odoo.mapping import OdooMapping, load_mapping
from revbridge.connectors.odoo.moves import Moves
from revbridge.connectors.odoo.payments import Payments
from revbridge.connectors.odoo.transport import Transport, open_transport
from revbridge.connectors.odoo.upserts import Upserts
from revbridge.connectors.odoo.values import (
    EntryResult,
    JournalEntry,
    OdooDocument,
    PartnerSpec,
    PaymentResult,
    PaymentSpec,
    ProductSpec,
    PullResult,
    PullState,
    SyncResult,
)
from revbridge.connectors.odoo.xmlids import ExternalIds

__all__ = ["OdooConnector"]


class OdooConnector:
    def __init__(self, transport: Transport, mapping: OdooMapping) -> None:
        self.transport = transport
        self.mapping = mapping
        self.facts = OdooFacts(transport)
        self.xmlids = ExternalIds(transport, mapping.workspace)
        self.upserts = Upserts(transport, self.xmlids)
        self.moves = Moves(transport, self.xmlids, self.upserts, self.facts, mapping)
        self.payments = Payments(transport, self.xmlids, self.moves, mapping)
        self.journal = Journal(transport, self.xmlids, self.facts, mapping)

    # ------------------------------------------------------------------ building
    @classmethod
    def connect(
        cls,
        mapping: OdooMapping,
        *,
        http: httpx.Client | None = None,
        limits: Limits | None = None,
    ) -> OdooConnector:
        """Detect the server's version and open the matching wire. ``limits`` defaults
        to the process-wide limits of this Odoo (shared by every connector to it)."""
        conn = mapping.connection
        limits = limits or shared_limits(conn.url, conn.db, conn.limits)
        transport = open_transport(
            conn.url,
            conn.db,
            conn.login,
            conn.api_key,
            protocol=conn.protocol,
            http=http,
            limits=limits,
            timeout=conn.timeout_seconds,
        )
        return cls(transport, mapping)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        section: Mapping[str, Any],
        *,
        env: Mapping[str, str] | None = None,
        http: httpx.Client | None = None,
        limits: Limits | None = None,
    ) -> OdooConnector:
        """From a workspace's ``[odoo]`` section, the API key taken from the settings'
        secrets (or the environment variable the section names)."""
        mapping = load_mapping(
            section, secrets=settings.secrets, env=os.environ if env is None else env
        )
        return cls.connect(mapping, http=http, limits=limits)

    def close(self) -> None:
        self.transport.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ API
    def check(self) -> CheckReport:
        return check(self.transport, self.mapping, self.facts)

    def sync_document(self, doc: OdooDocument) -> SyncResult:
        """Post an invoice or credit note (with its partner and products); the result
        names the Odoo move and carries any difference of totals as ``mismatch``."""
        return self.moves.sync(doc)

    def ensure_partner(self, spec: PartnerSpec) -> int:
        return self.upserts.ensure_partner(spec).res_id

    def link_partner_by_ref(self, spec: PartnerSpec) -> int:
        return self.upserts.link_partner_by_ref(spec)

    def ensure_product(self, spec: ProductSpec, legal_entity: str | None = None) -> int:
        entity = self.mapping.entity(legal_entity) if legal_entity else None
        return self.upserts.ensure_product(spec, entity).res_id

    def register_payment(self, spec: PaymentSpec) -> PaymentResult:
        return self.payments.register(spec)

    def pull_changes(self, state: PullState | None = None) -> PullResult:
        return self.payments.pull(state or PullState())

    def post_entry(self, entry: JournalEntry) -> EntryResult:
        return self.journal.post(entry)

    @property
    def calls(self) -> int:
        """HTTP calls made to Odoo so far (for metrics and benchmarks)."""
        return self.transport.calls
