"""The emulated Odoo models, grouped like Odoo's own modules.

``base`` (partners, users, companies, currencies, precisions, xmlids), ``product``,
``chart`` (accounts, journals, taxes, payment methods), ``account`` (entries and items),
``reconcile``, ``reversal`` (credit-note wizard) and ``payment`` (payments and the
register wizard). ``taxes`` and ``sequence`` hold the pure rules they share.
"""

from __future__ import annotations

from revbridge.connectors.odoo.emulator.addons import (
    account,
    base,
    chart,
    payment,
    product,
    reconcile,
    reversal,
)
from revbridge.connectors.odoo.emulator.registry.models import BaseModel


def all_models() -> dict[str, type[BaseModel]]:
    """Every emulated model class by its Odoo name."""
    classes = [
        *base.MODELS,
        *product.MODELS,
        *chart.MODELS,
        *account.MODELS,
        *reconcile.MODELS,
        *reversal.MODELS,
        *payment.MODELS,
    ]
    return {cls._name: cls for cls in classes}
