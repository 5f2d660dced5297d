"""The plain values the connector takes and returns: no Odoo ids needed to build them.

Why plain values and not revbridge's billing rows: the connector must not depend on the
billing tables (they belong to another area and change on their own schedule). The
outbox handler turns an invoice or credit note into an :class:`OdooDocument` and hands
it over; what comes back (:class:`SyncResult`, :class:`ReconciliationMismatch`, pulled
changes) is plain too and is stored by the caller.

Amounts are ``Decimal`` and positive on credit notes, as Odoo shows them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "AmountDifference",
    "ContactSpec",
    "DocumentKind",
    "EntryResult",
    "JournalEntry",
    "JournalLine",
    "OdooDocument",
    "OdooLine",
    "OdooMoveChange",
    "OdooPaymentChange",
    "PartnerSpec",
    "PaymentResult",
    "PaymentSpec",
    "ProductSpec",
    "PullResult",
    "PullState",
    "ReconciliationMismatch",
    "SyncResult",
    "Watermark",
]


class DocumentKind(str, enum.Enum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"

    @property
    def move_type(self) -> str:
        return "out_invoice" if self is DocumentKind.INVOICE else "out_refund"


@dataclass(frozen=True)
class ContactSpec:
    """The billing contact: a child partner of type "invoice" under the company."""

    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class PartnerSpec:
    """A revbridge customer as an Odoo company partner.

    ``key`` is revbridge's customer id (it names the external id); ``ref`` is what Odoo
    shows as the customer's reference and what a retry searches by (default: ``key``).
    ``odoo_id`` is set when the customer was created in Odoo first and linked.
    """

    key: str
    name: str
    ref: str | None = None
    vat: str | None = None
    country: str | None = None  # ISO 3166 alpha-2
    email: str | None = None
    street: str | None = None
    city: str | None = None
    zip: str | None = None
    billing_contact: ContactSpec | None = None
    odoo_id: int | None = None

    @property
    def reference(self) -> str:
        return self.ref or self.key


@dataclass(frozen=True)
class ProductSpec:
    """A revbridge price (or meter) as an Odoo service product; ``key`` is the price code,
    also sent as the product's Internal Reference (``default_code``)."""

    key: str
    name: str

    @property
    def code(self) -> str:
        return self.key


@dataclass(frozen=True)
class OdooLine:
    """One invoice line as revbridge computed it.

    ``subtotal`` is revbridge's line amount (already rounded to the currency); it is
    what Odoo must show, whatever the unit price's decimals (see ``moves.py``).
    ``taxes`` are revbridge tax keys, mapped to ``account.tax`` ids per legal entity.
    ``analytic_distribution`` maps analytic account ids to percentages.
    """

    product: ProductSpec
    label: str
    quantity: Decimal
    unit_price: Decimal
    subtotal: Decimal
    taxes: tuple[str, ...] = ()
    period_start: dt.date | None = None
    period_end: dt.date | None = None  # exclusive, like every revbridge period
    analytic_distribution: Mapping[str, Decimal] | None = None


@dataclass(frozen=True)
class OdooDocument:
    """An invoice or a credit note, finalised in revbridge, to post in Odoo.

    ``number`` is revbridge's number (unique per legal entity): it becomes the move's
    ``ref`` and ``payment_reference`` and names its external id. A credit note names
    the invoice it corrects in ``reversed_number``. ``amount_*`` are revbridge's totals,
    compared with what Odoo computes.
    """

    number: str
    kind: DocumentKind
    legal_entity: str
    customer: PartnerSpec
    invoice_date: dt.date
    currency: str
    lines: tuple[OdooLine, ...]
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    reversed_number: str | None = None
    due_date: dt.date | None = None
    narration: str | None = None


@dataclass(frozen=True)
class AmountDifference:
    field: str
    revbridge: Decimal
    odoo: Decimal


@dataclass(frozen=True)
class ReconciliationMismatch:
    """Odoo's totals differ from revbridge's for one posted document (control 3)."""

    number: str
    move_id: int
    move_name: str
    differences: tuple[AmountDifference, ...]

    def __str__(self) -> str:
        shown = ", ".join(f"{d.field} {d.revbridge} here vs {d.odoo} in Odoo" for d in self.differences)
        return f"{self.number} ({self.move_name}): {shown}"


@dataclass(frozen=True)
class SyncResult:
    """Where a document landed in Odoo, and whether Odoo agrees on its totals."""

    number: str
    move_id: int
    move_name: str
    state: str
    payment_state: str
    partner_id: int
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    created: bool  # False when a replay found it
    mismatch: ReconciliationMismatch | None = None
    product_ids: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentSpec:
    """A payment received for an invoice (from the gateway), to register in Odoo.

    ``key`` is revbridge's payment id (it names the external id and tags the memo)."""

    key: str
    invoice_number: str
    legal_entity: str
    amount: Decimal
    date: dt.date
    memo: str | None = None


@dataclass(frozen=True)
class PaymentResult:
    key: str
    payment_id: int | None
    payment_name: str | None
    invoice_id: int
    invoice_payment_state: str
    invoice_residual: Decimal
    created: bool
    skipped_reason: str | None = None  # e.g. "invoice already paid in Odoo"


@dataclass(frozen=True)
class JournalLine:
    """One item: ``account`` is an account role from the mapping (``deferred_revenue``)
    or an Odoo account id; exactly one of ``debit``/``credit`` is positive."""

    account: str | int
    label: str
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    partner_id: int | None = None
    analytic_distribution: Mapping[str, Decimal] | None = None


@dataclass(frozen=True)
class JournalEntry:
    """A balanced miscellaneous entry (revenue recognition, close); ``key`` names it."""

    key: str
    legal_entity: str
    date: dt.date
    ref: str
    currency: str
    lines: tuple[JournalLine, ...]


@dataclass(frozen=True)
class EntryResult:
    key: str
    move_id: int
    move_name: str
    state: str
    created: bool


@dataclass(frozen=True)
class Watermark:
    """Where an incremental pull stopped: the last ``write_date`` second seen and the
    fingerprints of the records seen at that second (FACTS.md 14: ``write_date`` reads
    back in whole seconds, so the next pull asks ``>=`` and drops what it already has)."""

    write_date: str = "1970-01-01 00:00:00"
    seen: frozenset[str] = frozenset()


@dataclass(frozen=True)
class OdooMoveChange:
    """An invoice or credit note as it now stands in Odoo (paid, reversed, ...)."""

    move_id: int
    move_name: str
    move_type: str
    number: str | None  # revbridge's number, from ``ref``; None if made in Odoo
    state: str
    payment_state: str
    amount_total: Decimal
    amount_residual: Decimal
    currency: str
    date: str | None
    reversed_entry_id: int | None
    write_date: str


@dataclass(frozen=True)
class OdooPaymentChange:
    """A payment or refund made in Odoo, with the invoices it settles."""

    payment_id: int
    payment_name: str
    payment_type: str  # inbound (received) or outbound (refund paid out)
    amount: Decimal
    currency: str
    date: str | None
    state: str
    memo: str | None
    invoice_ids: tuple[int, ...]
    invoice_numbers: tuple[str, ...]
    write_date: str


@dataclass(frozen=True)
class PullState:
    """One watermark per model pulled; store it after handling a :class:`PullResult`."""

    moves: Watermark = Watermark()
    payments: Watermark = Watermark()


@dataclass(frozen=True)
class PullResult:
    moves: tuple[OdooMoveChange, ...]
    payments: tuple[OdooPaymentChange, ...]
    state: PullState
