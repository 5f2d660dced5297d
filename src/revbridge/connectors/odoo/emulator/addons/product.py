"""Products: a template holding the commercial data and its variant.

Why the two models: Odoo stores name and prices on ``product.template`` and the
variant delegates to it, so a create on ``product.product`` without a name is refused
in the template's words ("Model: Product (product.template)", 15). Prices keep the
"Product Price" precision, rounded half-up on write (06).
"""

from __future__ import annotations

from typing import Any, ClassVar

from revbridge.connectors.odoo.emulator.registry import fields as f
from revbridge.connectors.odoo.emulator.registry.models import BaseModel


def _company_tax(field: str) -> Any:
    def default(model: BaseModel) -> list[list[Any]]:
        tax = model._env.store.row("res.company", 1).get(field)
        return [[6, 0, [tax] if tax else []]]

    return default


class ProductCategory(BaseModel):
    _name = "product.category"
    _description = "Product Category"

    name = f.Char("Name", required=True)


class ProductTemplate(BaseModel):
    _name = "product.template"
    _description = "Product"
    _order = "name"

    name = f.Char("Name", required=True)
    default_code = f.Char("Internal Reference")
    type = f.Selection(
        [
            ("consu", "Consumable"),
            ("service", "Service"),
            ("product", "Storable Product"),
            ("combo", "Combo"),
        ],
        "Product Type",
        default="consu",
    )
    list_price = f.Float("Sales Price", digits="Product Price", default=1.0)
    standard_price = f.Float("Cost", digits="Product Price")
    taxes_id = f.Many2many(
        "account.tax", "Customer Taxes", default=_company_tax("account_sale_tax_id")
    )
    supplier_taxes_id = f.Many2many(
        "account.tax", "Vendor Taxes", default=_company_tax("account_purchase_tax_id")
    )
    uom_id = f.Many2one("uom.uom", "Unit of Measure", default=1)
    uom_po_id = f.Many2one("uom.uom", "Purchase Unit of Measure", default=1)
    categ_id = f.Many2one("product.category", "Product Category", default=1)
    sale_ok = f.Boolean("Can be Sold", default=True)
    purchase_ok = f.Boolean("Can be Purchased", default=True)
    active = f.Boolean("Active", default=True)
    description_sale = f.Text("Sales Description")
    company_id = f.Many2one("res.company", "Company")

    def _display_name(self, rid: int) -> str:
        row = self._env.store.row(self._name, rid)
        code = row.get("default_code")
        return f"[{code}] {row['name']}" if code else str(row["name"])


class ProductProduct(BaseModel):
    _name = "product.product"
    _description = "Product Variant"
    _order = "default_code, name, id"
    _inherits: ClassVar[dict[str, str]] = {"product.template": "product_tmpl_id"}

    product_tmpl_id = f.Many2one("product.template", "Product Template", required=True)
    lst_price = f.Float("Sales Price", compute=lambda m, rid: m._value(rid, "list_price"))
    barcode = f.Char("Barcode")
    active = f.Boolean("Active", default=True)

    def _display_name(self, rid: int) -> str:
        return str(
            self._env["product.template"]._display_name(
                self._env.store.row(self._name, rid)["product_tmpl_id"]
            )
        )


MODELS: list[type[BaseModel]] = [ProductCategory, ProductTemplate, ProductProduct]
