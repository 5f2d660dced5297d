"""Payments: ``account.payment`` and the ``account.payment.register`` wizard (13, 20).

Why the wizard is the way in: it is how Odoo pays invoices — created with the invoices
in the context, it defaults to the bank journal, the "Manual" method and the open
residual; ``action_create_payments`` posts one payment per batch and matches it with the
invoices' receivable items. A payment is its own record with its own id, owning a
journal entry numbered ``P<bank code>/<year>/<n>``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.addons import reconcile as rec
from revbridge.connectors.odoo.emulator.money import ZERO
from revbridge.connectors.odoo.emulator.registry import fields as f
from revbridge.connectors.odoo.emulator.registry.models import BaseModel

RECEIVABLE, PAYABLE = 6, 13
OUTSTANDING = {"inbound": 2, "outbound": 3}
PAYMENT_TYPES = [("outbound", "Send"), ("inbound", "Receive")]
PARTNER_TYPES = [("customer", "Customer"), ("supplier", "Vendor")]


def _move_field(name: str) -> Any:
    def compute(model: BaseModel, rid: int) -> Any:
        move = model._rows()[rid]["move_id"]
        return model._env.store.row("account.move", move)[name] if move else None

    return compute


class AccountPayment(BaseModel):
    _name = "account.payment"
    _description = "Payments"
    _order = "date desc, name desc"

    move_id = f.Many2one("account.move", "Journal Entry")
    name = f.Char("Number", compute=_move_field("name"))
    state = f.Selection(
        [("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")],
        "Status",
        compute=_move_field("state"),
    )
    date = f.Date("Date", default=lambda m: m._env.today)
    amount = f.Monetary("Amount")
    payment_type = f.Selection(PAYMENT_TYPES, "Payment Type", default="inbound", required=True)
    partner_type = f.Selection(PARTNER_TYPES, "Partner Type", default="customer")
    partner_id = f.Many2one("res.partner", "Customer/Vendor")
    journal_id = f.Many2one("account.journal", "Journal", default=6)
    currency_id = f.Many2one(
        "res.currency",
        "Currency",
        default=lambda m: m._env.store.row("res.company", 1)["currency_id"],
    )
    company_id = f.Many2one("res.company", "Company", default=1)
    payment_method_line_id = f.Many2one("account.payment.method.line", "Payment Method")
    ref = f.Char("Memo")
    memo = f.Char("Memo", compute=lambda m, rid: m._rows()[rid]["ref"])
    destination_account_id = f.Many2one(
        "account.account",
        "Destination Account",
        compute=lambda m, rid: (
            RECEIVABLE if m._rows()[rid]["partner_type"] == "customer" else PAYABLE
        ),
    )
    outstanding_account_id = f.Many2one(
        "account.account",
        "Outstanding Account",
        compute=lambda m, rid: OUTSTANDING[m._rows()[rid]["payment_type"]],
    )
    is_reconciled = f.Boolean("Is Reconciled", compute=lambda m, rid: m._is_reconciled(rid))
    is_matched = f.Boolean("Is Matched With a Bank Statement", compute=lambda m, rid: False)
    reconciled_invoice_ids = f.Many2many(
        "account.move",
        "Reconciled Invoices",
        compute=lambda m, rid: m._reconciled_moves(
            rid, ("out_invoice", "out_refund", "out_receipt")
        ),
    )
    reconciled_bill_ids = f.Many2many(
        "account.move",
        "Reconciled Bills",
        compute=lambda m, rid: m._reconciled_moves(rid, ("in_invoice", "in_refund", "in_receipt")),
    )
    reconciled_invoices_count = f.Integer(
        "# Reconciled Invoices", compute=lambda m, rid: len(m._value(rid, "reconciled_invoice_ids"))
    )

    def _display_name(self, rid: int) -> str:
        move = self._rows()[rid]["move_id"]
        return self._env["account.move"]._display_name(move) if move else f"Draft Payment (* {rid})"

    def _counterpart_lines(self, rid: int) -> list[int]:
        move = self._rows()[rid]["move_id"]
        account = self._value(rid, "destination_account_id")
        lines = self._env.store.table("account.move.line")
        return [
            lid
            for lid, row in lines.items()
            if row["move_id"] == move and row["account_id"] == account
        ]

    def _is_reconciled(self, rid: int) -> bool:
        lines = self._env.store.table("account.move.line")
        own = self._counterpart_lines(rid)
        return bool(own) and all(lines[lid]["reconciled"] for lid in own)

    def _reconciled_moves(self, rid: int, types: tuple[str, ...]) -> list[int]:
        move = self._rows()[rid]["move_id"]
        if not move:
            return []
        moves = self._env.store.table("account.move")
        return sorted(
            m for m in rec.counterpart_moves(self._env, move) if moves[m]["move_type"] in types
        )

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        row = self._rows()[rid]
        if not row["payment_method_line_id"]:
            lines = self._env["account.journal"]._value(
                row["journal_id"], f"{row['payment_type']}_payment_method_line_ids"
            )
            self._write_raw([rid], {"payment_method_line_id": lines[0] if lines else False})
        self._write_raw([rid], {"move_id": self._create_move(rid, vals.get("_writeoff"))})

    def _create_move(self, rid: int, writeoff: tuple[int, Decimal, str] | None) -> int:
        """Liquidity item on the outstanding account, counterpart on receivable/payable,
        and an optional write-off item (difference handled as "reconcile")."""
        row = self._rows()[rid]
        sign = 1 if row["payment_type"] == "inbound" else -1
        amount = sign * row["amount"]
        partner = row["partner_id"] or False
        label = row["ref"] or ""
        lines = [
            [
                0,
                0,
                {
                    "name": label,
                    "account_id": self._value(rid, "outstanding_account_id"),
                    "partner_id": partner,
                    "amount_currency": amount,
                    "currency_id": row["currency_id"],
                },
            ]
        ]
        counterpart = -amount
        if writeoff:
            account, difference, wo_label = writeoff
            lines.append(
                [
                    0,
                    0,
                    {
                        "name": wo_label,
                        "account_id": account,
                        "partner_id": partner,
                        "amount_currency": sign * difference,
                        "currency_id": row["currency_id"],
                    },
                ]
            )
            counterpart -= sign * difference
        lines.append(
            [
                0,
                0,
                {
                    "name": label,
                    "account_id": self._value(rid, "destination_account_id"),
                    "partner_id": partner,
                    "amount_currency": counterpart,
                    "currency_id": row["currency_id"],
                },
            ]
        )
        return int(
            self._env["account.move"]._create_one(
                {
                    "move_type": "entry",
                    "journal_id": row["journal_id"],
                    "date": row["date"],
                    "ref": row["ref"] or False,
                    "partner_id": partner,
                    "currency_id": row["currency_id"],
                    "payment_id": rid,
                    "line_ids": lines,
                }
            )
        )

    def _create_one(self, vals: dict[str, Any]) -> int:
        writeoff = vals.pop("_writeoff", None)
        self._check_field_names(vals)
        rid = self._insert(vals)
        self._after_create(rid, {"_writeoff": writeoff})
        return rid

    def action_post(self, ids: Any) -> bool:
        ids = self._ids(ids)
        self._check_exists(ids)
        self._env["account.move"].action_post([self._rows()[rid]["move_id"] for rid in ids])
        return True

    def action_draft(self, ids: Any) -> bool:
        ids = self._ids(ids)
        self._env["account.move"].button_draft([self._rows()[rid]["move_id"] for rid in ids])
        return True

    def action_cancel(self, ids: Any) -> bool:
        ids = self._ids(ids)
        self._env["account.move"].button_cancel([self._rows()[rid]["move_id"] for rid in ids])
        return True

    def _check_unlink(self, ids: list[int]) -> None:
        self._env["account.move"]._check_unlink([self._rows()[rid]["move_id"] for rid in ids])

    def _delete(self, ids: Any) -> None:
        moves = [self._rows()[rid]["move_id"] for rid in ids if self._exists(rid)]
        super()._delete(ids)
        self._env["account.move"]._delete([m for m in moves if m])


class AccountPaymentRegister(BaseModel):
    _name = "account.payment.register"
    _description = "Pay"
    _rec_name = None

    line_ids = f.Many2many("account.move.line", "Journal items")
    amount = f.Monetary("Amount")
    payment_date = f.Date("Payment Date", default=lambda m: m._env.today)
    journal_id = f.Many2one("account.journal", "Journal")
    payment_method_line_id = f.Many2one("account.payment.method.line", "Payment Method")
    communication = f.Char("Memo")
    currency_id = f.Many2one("res.currency", "Currency")
    partner_id = f.Many2one("res.partner", "Customer/Vendor")
    payment_type = f.Selection(PAYMENT_TYPES, "Payment Type")
    partner_type = f.Selection(PARTNER_TYPES, "Partner Type")
    group_payment = f.Boolean("Group Payments")
    source_amount = f.Monetary("Amount to Pay (company currency)")
    source_amount_currency = f.Monetary("Amount to Pay (foreign currency)")
    payment_difference = f.Monetary(
        "Payment Difference",
        compute=lambda m, rid: m._rows()[rid]["source_amount_currency"] - m._rows()[rid]["amount"],
    )
    payment_difference_handling = f.Selection(
        [("open", "Keep open"), ("reconcile", "Mark as fully paid")],
        "Payment Difference Handling",
        default="open",
    )
    writeoff_account_id = f.Many2one("account.account", "Difference Account")
    writeoff_label = f.Char("Journal Item Label", default="Write-Off")
    company_id = f.Many2one("res.company", "Company", default=1)

    def _source_lines(self) -> list[int]:
        context = self._env.context
        active = list(context.get("active_ids") or [])
        lines = self._env["account.move.line"]
        if context.get("active_model") == "account.move.line":
            return [lid for lid in active if lines._exists(lid)]
        if context.get("active_model") != "account.move":
            raise faults.UserError(self._text("register_bad_model"))
        moves = self._env["account.move"]
        moves._check_exists(active)
        result = []
        for move_id in active:
            if moves._rows()[move_id]["state"] != "posted":
                raise faults.UserError(self._text("register_not_posted"))
            result += [
                lid
                for lid in moves._lines(move_id)
                if self._is_receivable_or_payable(lines._rows()[lid]["account_id"])
            ]
        return result

    def _is_receivable_or_payable(self, account_id: int | None) -> bool:
        if not account_id:
            return False
        account_type = self._env.store.row("account.account", account_id)["account_type"]
        return account_type in ("asset_receivable", "liability_payable")

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        lines = self._env["account.move.line"]
        moves = self._env["account.move"]
        ids = vals.get("line_ids")
        line_ids = self._many2many_ids([], ids) if ids else self._source_lines()
        open_ids = [
            lid
            for lid in line_ids
            if lines._rows()[lid]["amount_residual_currency"]
            or lines._rows()[lid]["amount_residual"]
        ]
        if not open_ids:
            raise faults.UserError(self._text("nothing_to_pay"))
        rows = [lines._rows()[lid] for lid in open_ids]
        residual_cur = sum((r["amount_residual_currency"] for r in rows), ZERO)
        residual = sum((r["amount_residual"] for r in rows), ZERO)
        payment_type = "inbound" if residual > 0 else "outbound"
        journal = vals.get("journal_id") or self._env["account.move"]._first_journal("bank")
        methods = self._env["account.journal"]._value(
            journal, f"{payment_type}_payment_method_line_ids"
        )
        move_names = []
        for row in rows:
            move = moves._rows()[row["move_id"]]
            label = move["payment_reference"] or move["ref"] or move["name"]
            if label not in move_names:
                move_names.append(label)
        defaults = {
            "line_ids": [[6, 0, open_ids]],
            "journal_id": journal,
            "payment_method_line_id": methods[0] if methods else False,
            "currency_id": rows[0]["currency_id"],
            "partner_id": moves._commercial(rows[0]["move_id"]) or rows[0]["partner_id"] or False,
            "payment_type": payment_type,
            "partner_type": "customer" if rows[0]["account_id"] == RECEIVABLE else "supplier",
            "source_amount": abs(residual),
            "source_amount_currency": abs(residual_cur),
            "amount": abs(residual_cur),
            "communication": " ".join(move_names),
        }
        return {**defaults, **{k: v for k, v in vals.items() if k != "line_ids"}}

    def _batches(self, rid: int) -> list[list[int]]:
        row = self._rows()[rid]
        lines = self._env.store.table("account.move.line")
        key_of = (
            (lambda r: (r["partner_id"], r["account_id"], r["currency_id"]))
            if row["group_payment"]
            else (lambda r: (r["move_id"],))
        )
        batches: dict[tuple[Any, ...], list[int]] = {}
        for lid in row["line_ids"]:
            batches.setdefault(key_of(lines[lid]), []).append(lid)
        return list(batches.values())

    def action_create_payments(self, ids: Any) -> Any:
        """One posted payment per batch, matched with the batch's items."""
        (rid,) = self._ids(ids)
        self._check_exists([rid])
        row = self._rows()[rid]
        lines = self._env.store.table("account.move.line")
        batches = self._batches(rid)
        payments = self._env["account.payment"]
        created = []
        for batch in batches:
            residual = sum((lines[lid]["amount_residual_currency"] for lid in batch), ZERO)
            amount = row["amount"] if len(batches) == 1 else abs(residual)
            writeoff = None
            difference = abs(residual) - amount
            if (
                len(batches) == 1
                and difference
                and row["payment_difference_handling"] == ("reconcile")
                and row["writeoff_account_id"]
            ):
                writeoff = (row["writeoff_account_id"], difference, row["writeoff_label"] or "")
            pid = payments._create_one(
                {
                    "date": row["payment_date"],
                    "amount": amount,
                    "payment_type": row["payment_type"],
                    "partner_type": row["partner_type"],
                    "partner_id": row["partner_id"] or False,
                    "journal_id": row["journal_id"],
                    "currency_id": row["currency_id"],
                    "payment_method_line_id": row["payment_method_line_id"] or False,
                    "ref": row["communication"] or False,
                    "_writeoff": writeoff,
                }
            )
            payments.action_post([pid])
            rec.reconcile(
                self._env,
                [
                    *payments._counterpart_lines(pid),
                    *[lid for lid in batch if not lines[lid]["reconciled"]],
                ],
            )
            created.append(pid)
        if self._env.context.get("dont_redirect_to_payments"):
            return True
        action: dict[str, Any] = {
            "name": "Payments",
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "context": {"create": False},
        }
        if len(created) == 1:
            action.update(view_mode="form", res_id=created[0])
        else:
            list_mode = "list" if self._env.profile.server_serie >= "18" else "tree"
            action.update(view_mode=f"{list_mode},form", domain=[["id", "in", created]])
        return action


MODELS: list[type[BaseModel]] = [AccountPayment, AccountPaymentRegister]
