"""Partners and products in Odoo, created once per revbridge record, whatever the retries.

Why create-if-absent and never update: a partner or product may be edited by the
accountants in Odoo after revbridge created it (address, category, taxes); revbridge
only needs it to exist and to be the same record each time. Each is keyed by its
external id (``<workspace>_partner_<customer>``, ``<workspace>_product_<price code>``);
a record created by an attempt that died before its external id was written is found by
its tag (partner ``ref``, product ``default_code``) and adopted (``xmlids.py``).

A partner is a company with its VAT number and country; the billing contact is created
in the same ``create`` call as a child of type "invoice", so the pair is atomic.
Customers that already exist in Odoo are linked by their reference instead
(:meth:`Upserts.link_partner_by_ref`) and are never created.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from revbridge.connectors.odoo.errors import OdooRefused, OdooUserError
from revbridge.connectors.odoo.mapping import LegalEntityMapping
from revbridge.connectors.odoo.transport import Transport
from revbridge.connectors.odoo.values import PartnerSpec, ProductSpec
from revbridge.connectors.odoo.xmlids import Ensured, ExternalIds

__all__ = ["Upserts"]

ALL_RECORDS = {"active_test": False}  # archived records still count as existing


class Upserts:
    def __init__(self, transport: Transport, xmlids: ExternalIds) -> None:
        self.transport = transport
        self.xmlids = xmlids
        self._countries: dict[str, int] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ names
    def partner_name(self, spec: PartnerSpec) -> str:
        return self.xmlids.name("partner", spec.key)

    def product_name(self, spec: ProductSpec) -> str:
        return self.xmlids.name("product", spec.key)

    # ------------------------------------------------------------------ partners
    def ensure_partner(self, spec: PartnerSpec, known: dict[str, int] | None = None) -> Ensured:
        """The partner of ``spec``: linked, found, recovered or created."""
        if spec.odoo_id is not None:
            return Ensured(spec.odoo_id, created=False)
        known = self.xmlids.lookup([self.partner_name(spec)]) if known is None else known
        return self.xmlids.ensure(
            self.partner_name(spec),
            "res.partner",
            known,
            find=lambda: self._partners_by_ref(spec.reference),
            create=lambda: self._create_partner(spec),
        )

    def _partners_by_ref(self, ref: str) -> list[int]:
        ids = self.transport.call(
            "res.partner",
            "search",
            domain=[["ref", "=", ref], ["parent_id", "=", False]],
            order="id",
            context=ALL_RECORDS,
        )
        return [int(i) for i in ids]

    def _create_partner(self, spec: PartnerSpec) -> int:
        vals: dict[str, Any] = {
            "name": spec.name,
            "is_company": True,
            "ref": spec.reference,
            "vat": spec.vat or False,
            "email": spec.email or False,
            "street": spec.street or False,
            "city": spec.city or False,
            "zip": spec.zip or False,
        }
        if spec.country:
            vals["country_id"] = self.country_id(spec.country)
        if spec.billing_contact:
            contact = spec.billing_contact
            vals["child_ids"] = [
                [0, 0, {"type": "invoice", "name": contact.name,
                        "email": contact.email or False, "phone": contact.phone or False}]
            ]
        (created,) = self.transport.call("res.partner", "create", vals_list=[vals])
        return int(created)

    def country_id(self, code: str) -> int:
        with self._lock:
            if code in self._countries:
                return self._countries[code]
        rows = self.transport.call(
            "res.country", "search_read", domain=[["code", "=", code.upper()]], fields=["id"]
        )
        if not rows:
            raise OdooRefused(f"Odoo knows no country with code {code!r}")
        with self._lock:
            self._countries[code] = int(rows[0]["id"])
        return self._countries[code]

    def link_partner_by_ref(self, spec: PartnerSpec) -> int:
        """Adopt the company partner whose reference is ``spec.reference`` (a customer
        created in Odoo first): it gets revbridge's external id and is never duplicated.
        Refused when none or several unclaimed partners carry the reference."""
        name = self.partner_name(spec)
        found = self.xmlids.lookup([name])
        if name in found:
            return found[name]
        candidates = self._partners_by_ref(spec.reference)
        taken = self.xmlids.claimed("res.partner", candidates)
        free = [c for c in candidates if c not in taken]
        if not free:
            raise OdooUserError(f"no Odoo partner with reference {spec.reference!r} to link")
        if len(free) > 1:
            raise OdooRefused(
                f"{len(free)} Odoo partners have reference {spec.reference!r} "
                f"(ids {free}); make it unique in Odoo, then link again"
            )
        return self.xmlids.attach(name, "res.partner", free[0])

    # ------------------------------------------------------------------ products
    def ensure_product(
        self,
        spec: ProductSpec,
        entity: LegalEntityMapping | None = None,
        known: dict[str, int] | None = None,
    ) -> Ensured:
        known = self.xmlids.lookup([self.product_name(spec)]) if known is None else known
        return self.xmlids.ensure(
            self.product_name(spec),
            "product.product",
            known,
            find=lambda: self._products_by_code(spec.code),
            create=lambda: self._create_product(spec, entity),
        )

    def ensure_products(
        self,
        specs: Iterable[ProductSpec],
        entity: LegalEntityMapping | None,
        known: dict[str, int],
    ) -> dict[str, int]:
        """Product id per price code; ``known`` comes from a batched lookup."""
        return {
            spec.key: self.ensure_product(spec, entity, known).res_id
            for spec in {s.key: s for s in specs}.values()
        }

    def _products_by_code(self, code: str) -> list[int]:
        ids = self.transport.call(
            "product.product",
            "search",
            domain=[["default_code", "=", code]],
            order="id",
            context=ALL_RECORDS,
        )
        return [int(i) for i in ids]

    def _create_product(self, spec: ProductSpec, entity: LegalEntityMapping | None) -> int:
        vals: dict[str, Any] = {
            "name": spec.name,
            "default_code": spec.code,
            "type": "service",
            "sale_ok": True,
            "purchase_ok": False,
        }
        category = entity.product_categories.get(spec.key) if entity else None
        if category:
            vals["categ_id"] = category
        (created,) = self.transport.call("product.product", "create", vals_list=[vals])
        return int(created)
