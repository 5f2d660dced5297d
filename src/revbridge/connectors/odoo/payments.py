"""Payments both ways: register revbridge's in Odoo once; pull Odoo's back incrementally.

Registering: Odoo pays an invoice through the ``account.payment.register`` wizard,
created with the invoice in its context (``active_model``/``active_ids``) and run with
``action_create_payments`` (FACTS.md 6). Each payment gets an external id
(``<workspace>_payment_<key>``) and a memo tagged ``[rb:<key>]``, so a replay finds it
(by external id, or by the tag if the attempt died before the external id was written).
Before paying, the invoice's ``payment_state`` and residual are read: paying a paid
invoice faults in Odoo, and a payment made by hand in Odoo meanwhile must not be doubled;
such a payment comes back as skipped with its reason.

Pulling: payments, refunds and reversals made in Odoo come back by ``write_date``.
``write_date`` reads back in whole seconds while it is stored with microseconds, so
``>`` the last value read returns the last record again (FACTS.md 14). The pull asks
``>=`` and drops records whose fingerprint (id, write_date and the values that matter)
it saw at that same second: a record changed twice within one second is still seen.
"""

from __future__ import annotations

from typing import Any

from revbridge.connectors.odoo.errors import OdooTransientError, OdooUserError
from revbridge.connectors.odoo.mapping import OdooMapping
from revbridge.connectors.odoo.moves import Moves
from revbridge.connectors.odoo.transport import Transport
from revbridge.connectors.odoo.values import (
    DocumentKind,
    OdooMoveChange,
    OdooPaymentChange,
    PaymentResult,
    PaymentSpec,
    PullResult,
    PullState,
    Watermark,
)
from revbridge.connectors.odoo.wire import from_wire_amount
from revbridge.connectors.odoo.xmlids import ExternalIds

__all__ = ["Payments", "memo_tag"]

SETTLED = ("paid", "in_payment", "reversed")
INVOICE_FIELDS = ["name", "state", "payment_state", "amount_residual"]
PULLED_MOVE_FIELDS = [
    "name", "move_type", "ref", "state", "payment_state", "amount_total", "amount_residual",
    "currency_id", "invoice_date", "reversed_entry_id", "write_date",
]


def memo_tag(key: str) -> str:
    return f"[rb:{key}]"


def _many2one_id(value: Any) -> int | None:
    return int(value[0]) if value else None


def _many2one_name(value: Any) -> str:
    return str(value[1]) if value else ""


class Payments:
    def __init__(
        self, transport: Transport, xmlids: ExternalIds, moves: Moves, mapping: OdooMapping
    ) -> None:
        self.transport = transport
        self.xmlids = xmlids
        self.moves = moves
        self.mapping = mapping

    @property
    def memo_field(self) -> str:
        """``account.payment.ref`` became ``memo`` in Odoo 18."""
        return "memo" if self.transport.version.major >= 18 else "ref"

    # ---------------------------------------------------------------- register
    def register(self, spec: PaymentSpec) -> PaymentResult:
        entity = self.mapping.entity(spec.legal_entity)
        name = self.xmlids.name("payment", spec.key)
        invoice_name = self.moves.name(DocumentKind.INVOICE, spec.invoice_number, spec.legal_entity)
        known = self.xmlids.lookup([name, invoice_name])
        invoice = known.get(invoice_name)
        if invoice is None:
            raise OdooTransientError(
                f"payment {spec.key}: invoice {spec.invoice_number} is not in Odoo yet; "
                "retry after it is synced"
            )
        payment = known.get(name)
        created = False
        if payment is None:
            payment = self._recover(name, spec.key)
        if payment is None:
            before = self._invoice(invoice)
            if before["state"] != "posted":
                raise OdooUserError(
                    f"payment {spec.key}: invoice {spec.invoice_number} is {before['state']} "
                    "in Odoo, not posted"
                )
            residual = from_wire_amount(before["amount_residual"])
            if before["payment_state"] in SETTLED or residual <= 0:
                return PaymentResult(
                    spec.key, None, None, invoice, str(before["payment_state"]), residual,
                    created=False,
                    skipped_reason=f"invoice already {before['payment_state']} in Odoo",
                )
            payment = self.xmlids.attach(name, "account.payment", self._pay(spec, invoice, entity))
            created = True
        after = self._invoice(invoice)
        shown = self.transport.call("account.payment", "read", ids=[payment], fields=["name"])
        return PaymentResult(
            spec.key,
            payment,
            str(shown[0]["name"]) if shown else None,
            invoice,
            str(after["payment_state"]),
            from_wire_amount(after["amount_residual"]),
            created=created,
        )

    def _invoice(self, invoice: int) -> dict[str, Any]:
        rows = self.transport.call("account.move", "read", ids=[invoice], fields=INVOICE_FIELDS)
        if not rows:
            raise OdooUserError(f"Odoo invoice {invoice} no longer exists")
        return dict(rows[0])

    def _recover(self, name: str, key: str) -> int | None:
        """A payment an earlier attempt made but did not tag with its external id."""
        ids = self.transport.call(
            "account.payment",
            "search",
            domain=[[self.memo_field, "ilike", memo_tag(key)]],
            order="id",
        )
        candidates = [int(i) for i in ids]
        taken = self.xmlids.claimed("account.payment", candidates)
        free = [i for i in candidates if i not in taken]
        return self.xmlids.attach(name, "account.payment", free[0]) if free else None

    def _pay(self, spec: PaymentSpec, invoice: int, entity: Any) -> int:
        context = {"active_model": "account.move", "active_ids": [invoice]}
        memo = f"{spec.memo or spec.invoice_number} {memo_tag(spec.key)}"
        vals: dict[str, Any] = {
            "amount": spec.amount,
            "payment_date": spec.date,
            "communication": memo,
        }
        if entity.payment_journal_id:
            vals["journal_id"] = entity.payment_journal_id
        if entity.payment_method_line_id:
            vals["payment_method_line_id"] = entity.payment_method_line_id
        (wizard,) = self.transport.call(
            "account.payment.register", "create", vals_list=[vals], context=context
        )
        action = self.transport.call(
            "account.payment.register", "action_create_payments", ids=[int(wizard)],
            context=context,
        )
        if isinstance(action, dict) and action.get("res_id"):
            return int(action["res_id"])
        found = self.transport.call(
            "account.payment", "search", domain=[[self.memo_field, "ilike", memo_tag(spec.key)]],
            order="id desc", limit=1,
        )
        if not found:
            raise OdooUserError(f"payment {spec.key}: Odoo created no payment")
        return int(found[0])

    # ---------------------------------------------------------------- pull
    def pull(self, state: PullState) -> PullResult:
        """What changed in Odoo since ``state``: invoices and credit notes (paid,
        reversed, cancelled), and payments. Store the returned state once handled."""
        move_rows, moves_mark = self._changed(
            "account.move",
            state.moves,
            [["move_type", "in", ["out_invoice", "out_refund"]], ["state", "!=", "draft"]],
            PULLED_MOVE_FIELDS,
            ("state", "payment_state", "amount_residual"),
        )
        payment_fields = ["name", "payment_type", "amount", "currency_id", "date", "state",
                          self.memo_field, "reconciled_invoice_ids", "write_date"]
        payment_rows, payments_mark = self._changed(
            "account.payment", state.payments, [], payment_fields, ("state", "amount")
        )
        numbers = self._refs({i for r in payment_rows for i in r["reconciled_invoice_ids"]})
        moves = tuple(
            OdooMoveChange(
                move_id=int(r["id"]),
                move_name=str(r["name"]),
                move_type=str(r["move_type"]),
                number=r["ref"] or None,
                state=str(r["state"]),
                payment_state=str(r["payment_state"]),
                amount_total=from_wire_amount(r["amount_total"]),
                amount_residual=from_wire_amount(r["amount_residual"]),
                currency=_many2one_name(r["currency_id"]),
                date=r["invoice_date"] or None,
                reversed_entry_id=_many2one_id(r["reversed_entry_id"]),
                write_date=str(r["write_date"]),
            )
            for r in move_rows
        )
        payments = tuple(
            OdooPaymentChange(
                payment_id=int(r["id"]),
                payment_name=str(r["name"]),
                payment_type=str(r["payment_type"]),
                amount=from_wire_amount(r["amount"]),
                currency=_many2one_name(r["currency_id"]),
                date=r["date"] or None,
                state=str(r["state"]),
                memo=r[self.memo_field] or None,
                invoice_ids=tuple(int(i) for i in r["reconciled_invoice_ids"]),
                invoice_numbers=tuple(
                    numbers[int(i)] for i in r["reconciled_invoice_ids"] if numbers.get(int(i))
                ),
                write_date=str(r["write_date"]),
            )
            for r in payment_rows
        )
        return PullResult(moves, payments, PullState(moves_mark, payments_mark))

    def _changed(
        self,
        model: str,
        mark: Watermark,
        domain: list[Any],
        fields: list[str],
        fingerprint_fields: tuple[str, ...],
    ) -> tuple[list[dict[str, Any]], Watermark]:
        rows = self.transport.call(
            model,
            "search_read",
            domain=[["write_date", ">=", mark.write_date], *domain],
            fields=fields,
            order="write_date asc, id asc",
        )

        def fingerprint(row: dict[str, Any]) -> str:
            values = "|".join(str(row.get(name)) for name in fingerprint_fields)
            return f"{row['id']}|{row['write_date']}|{values}"

        fresh = [r for r in rows if fingerprint(r) not in mark.seen]
        if not rows:
            return [], mark
        last = max(str(r["write_date"]) for r in rows)
        at_last = {fingerprint(r) for r in rows if str(r["write_date"]) == last}
        seen = at_last | mark.seen if last == mark.write_date else at_last
        return fresh, Watermark(last, frozenset(seen))

    def _refs(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = self.transport.call("account.move", "read", ids=sorted(ids), fields=["ref"])
        return {int(r["id"]): str(r["ref"]) for r in rows if r["ref"]}
