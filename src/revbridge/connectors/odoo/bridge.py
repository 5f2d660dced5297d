"""revbridge's records as the connector's values: documents, customers, payments.

The connector knows Odoo and nothing of revbridge's tables; this module is the one
place that reads revbridge's state and builds ``OdooDocument`` / ``PaymentSpec``, so
the outbox handlers stay thin and the translation rules are in one place:

- a line's product is its price code (one Odoo product per product line); one-off
  lines share the product ``one_off``;
- a line's tax is named by its rate in percent (``"20"``, ``"7.5"``); the mapping's
  ``taxes`` table says which ``account.tax`` that is. A 0 % line (exempt, reverse
  charge) is posted with the ``"0"`` tax when one is mapped, else with none;
- a payment applied to several invoices is registered once per invoice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from revbridge.billing.tables import document_lines, documents
from revbridge.catalog.entities import get_legal_entity
from revbridge.connectors.odoo.mapping import OdooMapping
from revbridge.connectors.odoo.values import (
    DocumentKind,
    OdooDocument,
    OdooLine,
    PartnerSpec,
    PaymentSpec,
    ProductSpec,
)
from revbridge.errors import NotFoundError
from revbridge.payments.tables import applications, payments
from revbridge.scope import Scope
from revbridge.store.tables import customers

ONE_OFF = "one_off"


def tax_key(rate: Decimal) -> str:
    """``Decimal("20.000")`` -> ``"20"``: the key a mapping's ``taxes`` table uses."""
    text = format(rate.normalize(), "f")
    return text


def partner_of(scope: Scope, customer_id: str) -> PartnerSpec:
    row = scope.conn.execute(select(customers).where(
        customers.c.workspace_id == scope.workspace_id, customers.c.id == customer_id)).first()
    if row is None:
        raise NotFoundError(f"no customer {customer_id!r}")
    return PartnerSpec(key=row.id, name=row.name, ref=row.key, vat=row.tax_id, country=row.country, email=row.email)


def _product(price_code: str | None) -> ProductSpec:
    code = price_code or ONE_OFF
    return ProductSpec(key=code, name=code.replace("_", " ").capitalize())


def _date(moment: dt.datetime | None) -> dt.date | None:
    return moment.date() if moment is not None else None


def document_of(scope: Scope, document_id: str, mapping: OdooMapping) -> OdooDocument:
    """The finalised invoice or credit note ``document_id`` as Odoo will get it."""
    doc = scope.conn.execute(select(documents).where(
        documents.c.workspace_id == scope.workspace_id, documents.c.id == document_id)).first()
    if doc is None:
        raise NotFoundError(f"no document {document_id!r}")
    entity = get_legal_entity(scope, doc.legal_entity_id)
    mapped_taxes = set(mapping.entity(entity["code"]).taxes)
    rows = scope.conn.execute(select(document_lines).where(document_lines.c.document_id == doc.id).order_by(
        document_lines.c.seq)).all()
    lines = []
    for r in rows:
        key = tax_key(Decimal(r.tax_rate))
        taxes = (key,) if key != "0" or key in mapped_taxes else ()
        lines.append(OdooLine(
            product=_product(r.price_code), label=r.description, quantity=Decimal(r.quantity),
            unit_price=Decimal(r.unit_price), subtotal=Decimal(r.amount), taxes=taxes,
            period_start=_date(r.service_start), period_end=_date(r.service_end),
        ))
    reversed_number = None
    if doc.credit_of:
        reversed_number = scope.conn.execute(select(documents.c.number).where(documents.c.id == doc.credit_of)).scalar()
    return OdooDocument(
        number=doc.number, kind=DocumentKind.INVOICE if doc.kind == "invoice" else DocumentKind.CREDIT_NOTE,
        legal_entity=entity["code"], customer=partner_of(scope, doc.customer_id), invoice_date=doc.finalized_at.date(),
        currency=doc.currency, lines=tuple(lines), amount_untaxed=Decimal(doc.subtotal),
        amount_tax=Decimal(doc.tax_total), amount_total=Decimal(doc.total), reversed_number=reversed_number,
        narration=doc.notes,
    )


def payment_specs(scope: Scope, payment_id: str) -> list[PaymentSpec]:
    """One Odoo payment per invoice this revbridge payment settles (net of refunds)."""
    pay = scope.conn.execute(select(payments).where(
        payments.c.workspace_id == scope.workspace_id, payments.c.id == payment_id)).first()
    if pay is None:
        raise NotFoundError(f"no payment {payment_id!r}")
    per_invoice: dict[str, Decimal] = {}
    for r in scope.conn.execute(select(applications.c.document_id, applications.c.amount).where(
            applications.c.payment_id == pay.id)):
        per_invoice[r.document_id] = per_invoice.get(r.document_id, Decimal(0)) + r.amount
    specs = []
    for document_id, amount in sorted(per_invoice.items()):
        if amount <= 0:
            continue
        doc: Any = scope.conn.execute(select(documents.c.number, documents.c.legal_entity_id).where(
            documents.c.id == document_id)).one()
        entity = get_legal_entity(scope, doc.legal_entity_id)
        specs.append(PaymentSpec(key=f"{pay.id}:{document_id}", invoice_number=doc.number, legal_entity=entity["code"],
                                 amount=amount, date=pay.received_at.date(), memo=f"{pay.source} {pay.reference}"))
    return specs
