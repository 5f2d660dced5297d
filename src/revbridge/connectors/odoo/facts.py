"""Facts about one Odoo database that change rarely: decimal precisions, currency ids.

Why cached per connector: every invoice needs the "Product Price" precision (to decide
how to post a line exactly, see ``moves.py``) and its currency's id; asking for them on
every sync would add calls per invoice for answers that change once a year. They are
read on first use and kept for the connector's life; :meth:`OdooFacts.forget` drops
them (after an accountant changes a precision, say).
"""

from __future__ import annotations

import threading

from revbridge.connectors.odoo.errors import OdooRefused
from revbridge.connectors.odoo.transport import Transport

__all__ = ["PRICE", "QUANTITY_NAMES", "OdooFacts"]

PRICE = "Product Price"
# The quantity precision was renamed in 18 ("Product Unit of Measure" -> "Product Unit").
QUANTITY_NAMES = ("Product Unit of Measure", "Product Unit")
ACCOUNT = "Account"


class OdooFacts:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._precisions: dict[str, int] | None = None
        self._currencies: dict[str, int] = {}
        self._lock = threading.Lock()

    def precisions(self) -> dict[str, int]:
        """Digits per ``decimal.precision`` name, all of them, in one call."""
        with self._lock:
            if self._precisions is None:
                rows = self.transport.call(
                    "decimal.precision", "search_read", domain=[], fields=["name", "digits"]
                )
                self._precisions = {str(r["name"]): int(r["digits"]) for r in rows}
            return dict(self._precisions)

    def price_digits(self) -> int:
        return self.precisions().get(PRICE, 2)

    def quantity_digits(self) -> int:
        found = self.precisions()
        return next((found[n] for n in QUANTITY_NAMES if n in found), 2)

    def currency_id(self, code: str) -> int:
        with self._lock:
            if code in self._currencies:
                return self._currencies[code]
        rows = self.transport.call(
            "res.currency",
            "search_read",
            domain=[["name", "=", code]],
            fields=["id"],
            context={"active_test": False},
        )
        if not rows:
            raise OdooRefused(f"Odoo has no currency {code}")
        with self._lock:
            self._currencies[code] = int(rows[0]["id"])
            return self._currencies[code]

    def forget(self) -> None:
        with self._lock:
            self._precisions = None
            self._currencies.clear()
