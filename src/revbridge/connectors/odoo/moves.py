"""Invoices and credit notes into Odoo: posted once, exact to the cent, read back.

Why each step:

- **External id per move** (``<workspace>_invoice_<number>``): ``ref`` is not unique in
  Odoo (FACTS.md 4), so a replay looks the external id up; a move created by an attempt
  that died before writing its external id is found by ``ref`` + type + company (its
  tag) and adopted (``xmlids.py``). ``ref`` and ``payment_reference`` carry revbridge's
  number, so the accountant and the bank statement see it.
- **Draft, then post**: the move is created in draft with all its lines in the same
  ``create`` call, then ``action_post``. A move found in draft on a retry is posted; one
  found posted is left alone; one found cancelled is refused (someone cancelled it in
  Odoo: a person must decide). Nothing is left half-posted.
- **Exact subtotals**: Odoo rounds ``price_unit`` silently to its "Product Price"
  precision (2 digits by default): 12350 x 0.0015 becomes 12350 x 0.00 = 0.00, with no
  error (FACTS.md 1). A line whose unit price (or quantity) has more decimals than Odoo
  keeps, or whose subtotal is not quantity x unit price rounded (tiers, packages), is
  posted as quantity 1 at the line's subtotal, and its real quantity and unit price go
  in the label. Raising Odoo's precision instead would change every price field of the
  database, reports included, and still break on the next 6-decimal price.
- **Read back**: after posting, Odoo's ``amount_untaxed``, ``amount_tax`` and
  ``amount_total`` are read and compared with revbridge's; any difference is returned
  as a :class:`~revbridge.connectors.odoo.values.ReconciliationMismatch`, never
  accepted silently (reconciliation control 3). Odoo computes tax itself, with the
  company's rounding method; revbridge must use the same method.
- **Credit notes** are ``out_refund`` moves with ``reversed_entry_id`` = the corrected
  invoice, so Odoo settles the invoice on posting (FACTS.md 5). The invoice must have
  been synced first (the outbox orders them); until then the credit note waits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.errors import OdooRefused, OdooTransientError, OdooUserError
from revbridge.connectors.odoo.facts import OdooFacts
from revbridge.connectors.odoo.mapping import LegalEntityMapping, OdooMapping
from revbridge.connectors.odoo.transport import Transport
from revbridge.connectors.odoo.upserts import Upserts
from revbridge.connectors.odoo.values import (
    AmountDifference,
    DocumentKind,
    OdooDocument,
    OdooLine,
    ReconciliationMismatch,
    SyncResult,
)
from revbridge.connectors.odoo.wire import from_wire_amount
from revbridge.connectors.odoo.xmlids import ExternalIds
from revbridge.domain.money import round_money

__all__ = ["MOVE_FIELDS", "Moves", "finish_move", "line_values", "move_kind_name"]

MOVE_FIELDS = [
    "name",
    "state",
    "payment_state",
    "partner_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
]
TOTALS = ("amount_untaxed", "amount_tax", "amount_total")


def move_kind_name(kind: DocumentKind) -> str:
    return "invoice" if kind is DocumentKind.INVOICE else "credit_note"


def _fits(value: Decimal, digits: int) -> bool:
    return value == value.quantize(Decimal(1).scaleb(-digits))


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _label(line: OdooLine) -> str:
    label = line.label
    if line.period_start and line.period_end:
        last = line.period_end - dt.timedelta(days=1)
        label = f"{label} ({line.period_start.isoformat()} to {last.isoformat()})"
    return label


def line_values(
    line: OdooLine,
    *,
    currency: str,
    product_id: int,
    entity: LegalEntityMapping,
    price_digits: int,
    quantity_digits: int,
) -> dict[str, Any]:
    """The ``invoice_line_ids`` values of one line, exact in Odoo (see module doc)."""
    if not _fits(line.subtotal, price_digits):
        raise OdooRefused(
            f"line {line.label!r}: subtotal {line.subtotal} has more decimals than Odoo's "
            f"Product Price precision ({price_digits}); raise that precision in Odoo"
        )
    exact = (
        _fits(line.unit_price, price_digits)
        and _fits(line.quantity, quantity_digits)
        and round_money(line.quantity * line.unit_price, currency) == line.subtotal
    )
    label = _label(line)
    if exact:
        quantity, price = line.quantity, line.unit_price
    else:
        quantity, price = Decimal(1), line.subtotal
        label = f"{label}\n{_number(line.quantity)} x {_number(line.unit_price)}"
    vals: dict[str, Any] = {
        "product_id": product_id,
        "name": label,
        "quantity": quantity,
        "price_unit": price,
        "tax_ids": [[6, 0, entity.tax_ids(line.taxes)]],
    }
    account = entity.income_account(line.product.key)
    if account:
        vals["account_id"] = account
    if line.analytic_distribution:
        vals["analytic_distribution"] = {
            str(k): v for k, v in line.analytic_distribution.items()
        }
    return vals


def finish_move(
    transport: Transport, move_id: int, *, fields: list[str], draft_known: bool
) -> dict[str, Any]:
    """Post the move if it is a draft, leave it if posted; its fields after that.

    ``draft_known``: it was just created, so the state need not be read first."""
    if not draft_known:
        row = _read(transport, move_id, fields)
        if row["state"] == "posted":
            return row
        if row["state"] == "cancel":
            raise OdooUserError(
                f"Odoo move {move_id} ({row.get('name')}) was cancelled in Odoo; "
                "reset it to draft there or issue a new document"
            )
    transport.call("account.move", "action_post", ids=[move_id])
    return _read(transport, move_id, fields)


def _read(transport: Transport, move_id: int, fields: list[str]) -> dict[str, Any]:
    rows = transport.call("account.move", "read", ids=[move_id], fields=fields)
    if not rows:
        raise OdooUserError(f"Odoo move {move_id} no longer exists")
    return dict(rows[0])


class Moves:
    def __init__(
        self,
        transport: Transport,
        xmlids: ExternalIds,
        upserts: Upserts,
        facts: OdooFacts,
        mapping: OdooMapping,
    ) -> None:
        self.transport = transport
        self.xmlids = xmlids
        self.upserts = upserts
        self.facts = facts
        self.mapping = mapping

    def name(self, kind: DocumentKind, number: str, legal_entity: str) -> str:
        return self.xmlids.name(move_kind_name(kind), f"{legal_entity}_{number}")

    def sync(self, doc: OdooDocument) -> SyncResult:
        """Post ``doc`` in Odoo once, however often it is called; see the module doc."""
        entity = self.mapping.entity(doc.legal_entity)
        if not doc.lines:
            raise OdooRefused(f"{doc.number}: a document without lines cannot be posted")
        move_name = self.name(doc.kind, doc.number, doc.legal_entity)
        names = [move_name, self.upserts.partner_name(doc.customer)]
        names += [self.upserts.product_name(line.product) for line in doc.lines]
        reversed_name = None
        if doc.reversed_number:
            reversed_name = self.name(DocumentKind.INVOICE, doc.reversed_number, doc.legal_entity)
            names.append(reversed_name)
        known = self.xmlids.lookup(names)

        partner = self.upserts.ensure_partner(doc.customer, known).res_id
        products = self.upserts.ensure_products((ln.product for ln in doc.lines), entity, known)
        reversed_id = None
        if reversed_name is not None:
            reversed_id = known.get(reversed_name)
            if reversed_id is None:
                raise OdooTransientError(
                    f"{doc.number}: the invoice it corrects, {doc.reversed_number}, is not in "
                    "Odoo yet; retry after it is synced"
                )
        move_type = doc.kind.move_type
        ensured = self.xmlids.ensure(
            move_name,
            "account.move",
            known,
            find=lambda: self._by_ref(doc.number, move_type, entity.company_id),
            create=lambda: self._create(doc, entity, partner, products, reversed_id),
        )
        row = finish_move(
            self.transport, ensured.res_id, fields=MOVE_FIELDS, draft_known=ensured.created
        )
        return self._result(doc, ensured.res_id, row, created=ensured.created, products=products)

    def _by_ref(self, number: str, move_type: str, company_id: int) -> list[int]:
        ids = self.transport.call(
            "account.move",
            "search",
            domain=[
                ["ref", "=", number],
                ["move_type", "=", move_type],
                ["company_id", "=", company_id],
            ],
            order="id",
        )
        return [int(i) for i in ids]

    def _create(
        self,
        doc: OdooDocument,
        entity: LegalEntityMapping,
        partner: int,
        products: dict[str, int],
        reversed_id: int | None,
    ) -> int:
        price_digits = self.facts.price_digits()
        quantity_digits = self.facts.quantity_digits()
        lines = [
            [
                0,
                0,
                line_values(
                    line,
                    currency=doc.currency,
                    product_id=products[line.product.key],
                    entity=entity,
                    price_digits=price_digits,
                    quantity_digits=quantity_digits,
                ),
            ]
            for line in doc.lines
        ]
        vals: dict[str, Any] = {
            "move_type": doc.kind.move_type,
            "partner_id": partner,
            "company_id": entity.company_id,
            "journal_id": entity.sale_journal_id,
            "currency_id": self.facts.currency_id(doc.currency),
            "invoice_date": doc.invoice_date,
            "ref": doc.number,
            "payment_reference": doc.number,
            "invoice_line_ids": lines,
        }
        if doc.due_date:
            vals["invoice_date_due"] = doc.due_date
        if doc.narration:
            vals["narration"] = doc.narration
        if reversed_id:
            vals["reversed_entry_id"] = reversed_id
        (created,) = self.transport.call("account.move", "create", vals_list=[vals])
        return int(created)

    @staticmethod
    def _result(
        doc: OdooDocument,
        move_id: int,
        row: dict[str, Any],
        *,
        created: bool,
        products: dict[str, int],
    ) -> SyncResult:
        odoo = {name: from_wire_amount(row[name]) for name in TOTALS}
        ours = {
            "amount_untaxed": doc.amount_untaxed,
            "amount_tax": doc.amount_tax,
            "amount_total": doc.amount_total,
        }
        differences = tuple(
            AmountDifference(name, ours[name], odoo[name])
            for name in TOTALS
            if ours[name] != odoo[name]
        )
        name = str(row.get("name") or "")
        partner = row.get("partner_id")
        return SyncResult(
            number=doc.number,
            move_id=move_id,
            move_name=name,
            state=str(row["state"]),
            payment_state=str(row.get("payment_state") or ""),
            partner_id=int(partner[0]) if partner else 0,
            amount_untaxed=odoo["amount_untaxed"],
            amount_tax=odoo["amount_tax"],
            amount_total=odoo["amount_total"],
            created=created,
            mismatch=ReconciliationMismatch(doc.number, move_id, name, differences)
            if differences
            else None,
            product_ids=dict(products),
        )
