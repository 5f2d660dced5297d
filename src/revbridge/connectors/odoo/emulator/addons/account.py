"""Journal entries and their items: invoices, credit notes, bills, miscellaneous entries.

Why so much happens on create: Odoo builds the whole entry from the invoice lines the
client sends — one tax item per tax, one receivable (payment term) item for the total —
and stores the totals then, with the rounding method the company has at that moment
(changing it later does not touch existing drafts, 09). Prices are silently rounded to
the "Product Price" precision (0.0015 becomes 0.0, 08).

Rules reproduced from the recordings (FACTS.md 3, 5, 7): drafts are named "/" and get a
number at posting, in id order; an unbalanced entry is refused at create; a posted
entry may change partner or reference unless it is reconciled; it cannot be deleted;
a credit note that names its invoice in ``reversed_entry_id`` settles it on posting.
``button_draft``/``button_cancel`` return None, which XML-RPC cannot marshal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.addons import reconcile as rec
from revbridge.connectors.odoo.emulator.addons import sequence
from revbridge.connectors.odoo.emulator.addons.taxes import LineTaxes, line_taxes, tax_totals
from revbridge.connectors.odoo.emulator.money import ZERO, format_amount
from revbridge.connectors.odoo.emulator.registry import fields as f
from revbridge.connectors.odoo.emulator.registry.models import BaseModel

MOVE_TYPES = [
    ("entry", "Journal Entry"),
    ("out_invoice", "Customer Invoice"),
    ("out_refund", "Customer Credit Note"),
    ("in_invoice", "Vendor Bill"),
    ("in_refund", "Vendor Credit Note"),
    ("out_receipt", "Sales Receipt"),
    ("in_receipt", "Purchase Receipt"),
]
DRAFT_LABELS = {
    "entry": "Entry",
    "out_invoice": "Invoice",
    "out_refund": "Credit Note",
    "in_invoice": "Bill",
    "in_refund": "Refund",
    "out_receipt": "Sales Receipt",
    "in_receipt": "Purchase Receipt",
}
SALE_TYPES = ("out_invoice", "out_refund", "out_receipt")
INVOICE_TYPES = (*SALE_TYPES, "in_invoice", "in_refund", "in_receipt")
REVERSED_TYPE = {
    "out_invoice": "out_refund",
    "out_refund": "out_invoice",
    "in_invoice": "in_refund",
    "in_refund": "in_invoice",
    "entry": "entry",
    "out_receipt": "out_receipt",
    "in_receipt": "in_receipt",
}
PAYMENT_STATES = [
    ("not_paid", "Not Paid"),
    ("in_payment", "In Payment"),
    ("paid", "Paid"),
    ("partial", "Partially Paid"),
    ("reversed", "Reversed"),
    ("invoicing_legacy", "Invoicing App Legacy"),
]
DISPLAY_TYPES = [
    ("product", "Product"),
    ("cogs", "Cost of Goods Sold"),
    ("tax", "Tax"),
    ("rounding", "Rounding"),
    ("payment_term", "Payment Term"),
    ("line_section", "Section"),
    ("line_note", "Note"),
    ("epd", "Early Payment"),
]
INVOICE_LINE_TYPES = ("product", "line_section", "line_note")
# Changing these on a reconciled entry would change what was matched (13).
LEGAL_FIELDS = frozenset(
    [
        "partner_id",
        "currency_id",
        "line_ids",
        "invoice_line_ids",
        "date",
        "invoice_date",
        "journal_id",
        "move_type",
        "company_id",
    ]
)
# Changing these on a posted entry would change its amounts or its number.
POSTED_LOCKED = frozenset(
    ["line_ids", "invoice_line_ids", "currency_id", "journal_id", "move_type", "company_id"]
)


def sign_of(move_type: str) -> int:
    """+1 when the document is money coming in (customer invoice, vendor refund)."""
    return 1 if move_type in ("out_invoice", "out_receipt", "in_refund", "entry") else -1


class AccountMove(BaseModel):
    _name = "account.move"
    _description = "Journal Entry"
    _order = "date desc, name desc, id desc"

    name = f.Char("Number", default="/")
    move_type = f.Selection(MOVE_TYPES, "Type", default="entry", required=True)
    state = f.Selection(
        [("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")],
        "Status",
        default="draft",
        required=True,
    )
    journal_id = f.Many2one("account.journal", "Journal", required=True)
    company_id = f.Many2one("res.company", "Company", default=1)
    currency_id = f.Many2one("res.currency", "Currency", required=True)
    company_currency_id = f.Many2one(
        "res.currency",
        "Company Currency",
        compute=lambda m, rid: m._env.store.row("res.company", 1)["currency_id"],
    )
    partner_id = f.Many2one("res.partner", "Partner")
    commercial_partner_id = f.Many2one(
        "res.partner", "Commercial Entity", compute=lambda m, rid: m._commercial(rid)
    )
    date = f.Date("Date", required=True)
    invoice_date = f.Date("Invoice/Bill Date")
    invoice_date_due = f.Date("Due Date")
    ref = f.Char("Reference")
    narration = f.Text("Terms and Conditions")
    payment_reference = f.Char("Payment Reference")
    invoice_origin = f.Char("Origin")
    invoice_user_id = f.Many2one("res.users", "Salesperson", default=lambda m: m._env.uid)
    line_ids = f.One2many("account.move.line", "move_id", "Journal Items", cascade=True)
    invoice_line_ids = f.One2many(
        "account.move.line",
        "move_id",
        "Invoice lines",
        row_filter=lambda row: row["display_type"] in INVOICE_LINE_TYPES,
    )
    amount_untaxed = f.Monetary("Untaxed Amount")
    amount_tax = f.Monetary("Tax")
    amount_total = f.Monetary("Total")
    amount_residual = f.Monetary("Amount Due")
    amount_untaxed_signed = f.Monetary("Untaxed Amount Signed")
    amount_tax_signed = f.Monetary("Tax Signed")
    amount_total_signed = f.Monetary("Total Signed")
    amount_total_in_currency_signed = f.Monetary("Total in Currency Signed")
    amount_residual_signed = f.Monetary("Amount Due Signed")
    payment_state = f.Selection(PAYMENT_STATES, "Payment Status", default="not_paid")
    reversed_entry_id = f.Many2one("account.move", "Reversal of")
    reversal_move_id = f.One2many("account.move", "reversed_entry_id", "Reversal Move")
    duplicated_ref_ids = f.Many2many(
        "account.move", "Duplicated Ref", compute=lambda m, rid: m._duplicated_refs(rid)
    )
    payment_id = f.Many2one("account.payment", "Payment")
    auto_post = f.Selection(
        [
            ("no", "No"),
            ("at_date", "At Date"),
            ("monthly", "Monthly"),
            ("quarterly", "Quarterly"),
            ("yearly", "Yearly"),
        ],
        "Auto-post",
        default="no",
    )
    is_move_sent = f.Boolean("Is Move Sent")
    posted_before = f.Boolean("Posted Before")

    # ------------------------------------------------------------------ reading helpers
    def _display_name(self, rid: int) -> str:
        row = self._rows()[rid]
        if row["name"] and row["name"] != "/":
            return str(row["name"])
        return f"Draft {DRAFT_LABELS[row['move_type']]} (* {rid})"

    def _commercial(self, rid: int) -> int | None:
        partner = self._rows()[rid]["partner_id"]
        return self._env["res.partner"]._commercial(partner) if partner else None

    def _duplicated_refs(self, rid: int) -> list[int]:
        """Only vendor bills are checked for a duplicated reference (17)."""
        row = self._rows()[rid]
        if row["move_type"] != "in_invoice" or not row["ref"]:
            return []
        return [
            oid
            for oid, other in self._rows().items()
            if oid != rid
            and other["ref"] == row["ref"]
            and other["move_type"] == "in_invoice"
            and other["partner_id"] == row["partner_id"]
            and other["state"] != "cancel"
        ]

    def _lines(self, rid: int, *types: str) -> list[int]:
        return [
            lid
            for lid in self._value(rid, "line_ids")
            if not types or self._env.store.row("account.move.line", lid)["display_type"] in types
        ]

    def _is_invoice(self, rid: int) -> bool:
        return self._rows()[rid]["move_type"] in INVOICE_TYPES

    def _reconciled(self, rid: int) -> bool:
        table = self._env.store.table("account.partial.reconcile").values()
        own = set(self._lines(rid))
        return any(p["debit_move_id"] in own or p["credit_move_id"] in own for p in table)

    def _currency_round(self, currency_id: int, amount: Decimal) -> Decimal:
        rounded: Decimal = self._env["res.currency"]._round(currency_id, amount)
        return rounded

    def _to_company(self, rid: int, amount_currency: Decimal) -> Decimal:
        row = self._rows()[rid]
        company_currency = self._env.store.row("res.company", 1)["currency_id"]
        if row["currency_id"] == company_currency:
            return amount_currency
        rate = self._env["res.currency"]._rate_on(
            row["currency_id"], row["invoice_date"] or row["date"]
        )
        return self._currency_round(company_currency, amount_currency / rate)

    # ------------------------------------------------------------------------- create
    def _create_one(self, vals: dict[str, Any]) -> int:
        self._check_field_names(vals)
        line_commands = list(vals.pop("line_ids", None) or [])
        line_commands += list(vals.pop("invoice_line_ids", None) or [])
        vals = self._prepare_create(vals)
        rid = self._insert(vals)
        self._apply_line_commands(rid, line_commands)
        self._sync_lines(rid)
        self._check_balanced(rid)
        return rid

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        vals = dict(vals)
        move_type = vals.get("move_type") or "entry"
        self._fields["move_type"].to_cache(move_type, self)
        if not vals.get("journal_id"):
            wanted = (
                "sale"
                if move_type in SALE_TYPES
                else "purchase"
                if move_type in INVOICE_TYPES
                else "general"
            )
            vals["journal_id"] = self._first_journal(wanted)
        if not vals.get("currency_id"):
            journal = (
                self._env.store.row("account.journal", vals["journal_id"])
                if self._env.store.exists("account.journal", vals["journal_id"])
                else {}
            )
            vals["currency_id"] = (
                journal.get("currency_id") or self._env.store.row("res.company", 1)["currency_id"]
            )
        if not vals.get("date"):
            vals["date"] = vals.get("invoice_date") or self._env.today
        if move_type in INVOICE_TYPES and not vals.get("invoice_date_due"):
            vals["invoice_date_due"] = self._env.today
        return vals

    def _first_journal(self, journal_type: str) -> int | None:
        journals = self._env["account.journal"]
        found = journals._search([["type", "=", journal_type]], order="sequence, id", limit=1)
        return found[0] if found else None

    def _apply_line_commands(self, rid: int, commands: list[Any]) -> None:
        lines = self._env["account.move.line"]
        for command in commands:
            code = command[0]
            if code == 0:
                lines._create_one({**command[2], "move_id": rid})
            elif code == 1:
                lines._check_exists([command[1]])
                lines._write_raw([command[1]], command[2])
                lines._compute_amounts(command[1])
            elif code in (2, 3) and lines._exists(command[1]):
                lines._delete([command[1]])
            elif code in (5, 6):
                keep = set(command[2]) if code == 6 else set()
                lines._delete(
                    [lid for lid in self._lines(rid, *INVOICE_LINE_TYPES) if lid not in keep]
                )

    # --------------------------------------------------------------- dynamic lines
    def _sync_lines(self, rid: int) -> None:
        """Rebuild tax and payment-term items of an invoice, then store the totals."""
        if self._is_invoice(rid):
            self._sync_tax_lines(rid)
            self._sync_payment_term(rid)
        self._store_totals(rid)

    def _product_taxes(self, rid: int) -> list[tuple[int, LineTaxes]]:
        lines = self._env["account.move.line"]
        taxes = self._env["account.tax"]
        currency = self._rows()[rid]["currency_id"]
        result = []
        for lid in self._lines(rid, "product"):
            row = lines._rows()[lid]
            result.append(
                (
                    lid,
                    line_taxes(
                        row["quantity"],
                        row["price_unit"],
                        row["discount"],
                        [taxes._tax(t) for t in row["tax_ids"]],
                        lambda v: self._currency_round(currency, v),
                    ),
                )
            )
        return result

    def _sync_tax_lines(self, rid: int) -> None:
        row = self._rows()[rid]
        lines = self._env["account.move.line"]
        currency, sign = row["currency_id"], sign_of(row["move_type"])
        method = self._env.store.row("res.company", 1)["tax_calculation_rounding_method"]
        per_line = self._product_taxes(rid)
        totals = tax_totals(
            [lt for _lid, lt in per_line], method, lambda v: self._currency_round(currency, v)
        )
        bases: dict[int, Decimal] = {}
        for _lid, lt in per_line:
            for tid, _amount in lt.taxes:
                bases[tid] = bases.get(tid, ZERO) + lt.subtotal
        existing = {lines._rows()[lid]["tax_line_id"]: lid for lid in self._lines(rid, "tax")}
        document = "refund" if row["move_type"] in ("out_refund", "in_refund") else "invoice"
        taxes = self._env["account.tax"]
        for tid, lid in existing.items():
            if tid not in totals or not totals[tid]:
                lines._delete([lid])
        for tid, amount in totals.items():
            if not amount:
                continue
            values = {
                "name": taxes._display_name(tid),
                "display_type": "tax",
                "tax_line_id": tid,
                "account_id": taxes._tax_account(tid, document),
                "move_id": rid,
                "amount_currency": -sign * amount,
                "tax_base_amount": bases.get(tid, ZERO),
                "partner_id": self._commercial(rid) or False,
                "quantity": 0,
                "price_unit": ZERO,
            }
            if tid in existing and lines._exists(existing[tid]):
                lines._write_raw([existing[tid]], values)
                lines._compute_amounts(existing[tid])
            else:
                lines._create_one(values)

    def _sync_payment_term(self, rid: int) -> None:
        row = self._rows()[rid]
        lines = self._env["account.move.line"]
        others = [
            lines._rows()[lid]
            for lid in self._lines(rid)
            if lines._rows()[lid]["display_type"] != "payment_term"
        ]
        amount_currency = -sum((r["amount_currency"] for r in others), ZERO)
        balance = -sum((r["balance"] for r in others), ZERO)
        receivable = row["move_type"] in SALE_TYPES
        values = {
            "display_type": "payment_term",
            "move_id": rid,
            "account_id": 6 if receivable else 13,
            "name": row["payment_reference"] or "",
            "partner_id": self._commercial(rid) or False,
            "amount_currency": amount_currency,
            "balance": balance,
            "debit": max(balance, ZERO),
            "credit": max(-balance, ZERO),
            "date_maturity": row["invoice_date_due"] or row["date"],
            "quantity": 0,
            "price_unit": ZERO,
        }
        existing = self._lines(rid, "payment_term")
        if not others:
            lines._delete(existing)
        elif existing:
            lines._write_raw(existing[:1], values)
            lines._compute_amounts(existing[0], keep_balance=True)
        else:
            lines._create_one({**values, "_keep_balance": True})

    def _store_totals(self, rid: int) -> None:
        row = self._rows()[rid]
        lines = self._env["account.move.line"]
        sign = sign_of(row["move_type"])

        def total(field: str, *types: str) -> Decimal:
            return sum((lines._rows()[lid][field] for lid in self._lines(rid, *types)), ZERO)

        if self._is_invoice(rid):
            untaxed = -sign * total("amount_currency", "product")
            tax = -sign * total("amount_currency", "tax")
            untaxed_company = -sign * total("balance", "product")
            tax_company = -sign * total("balance", "tax")
            residual_cur = sign * total("amount_residual_currency", "payment_term")
            residual = sign * total("amount_residual", "payment_term")
        else:
            untaxed = sum(
                (max(lines._rows()[lid]["amount_currency"], ZERO) for lid in self._lines(rid)), ZERO
            )
            untaxed_company = sum(
                (max(lines._rows()[lid]["balance"], ZERO) for lid in self._lines(rid)), ZERO
            )
            tax = tax_company = ZERO
            residual_cur = residual = sum(
                (
                    abs(lines._rows()[lid]["amount_residual_currency"])
                    for lid in self._lines(rid)
                    if rec.reconcilable(self._env, lines._rows()[lid]["account_id"])
                ),
                ZERO,
            )
        if row["state"] == "draft" and self._is_invoice(rid):
            residual_cur, residual = untaxed + tax, untaxed_company + tax_company
        changes = {
            "amount_untaxed": untaxed,
            "amount_tax": tax,
            "amount_total": untaxed + tax,
            "amount_residual": residual_cur,
            "amount_untaxed_signed": sign * untaxed_company,
            "amount_tax_signed": sign * tax_company,
            "amount_total_signed": sign * (untaxed_company + tax_company),
            "amount_total_in_currency_signed": sign * (untaxed + tax),
            "amount_residual_signed": sign * residual,
        }
        if any(row[k] != v for k, v in changes.items()):
            self._write_raw([rid], changes)

    def _check_balanced(self, rid: int) -> None:
        lines = self._env["account.move.line"]
        debit = sum((lines._rows()[lid]["debit"] for lid in self._lines(rid)), ZERO)
        credit = sum((lines._rows()[lid]["credit"] for lid in self._lines(rid)), ZERO)
        if debit != credit:
            currency = self._env.store.row(
                "res.currency", self._env.store.row("res.company", 1)["currency_id"]
            )
            decimals = self._env["res.currency"]._decimal_places(currency["id"])

            def shown(value: Decimal) -> str:
                return format_amount(value, currency["symbol"], currency["position"], decimals)

            journal = self._env["account.journal"]._display_name(self._rows()[rid]["journal_id"])
            raise faults.UserError(
                self._text(
                    "unbalanced",
                    move=self._display_name(rid),
                    debit=shown(debit),
                    credit=shown(credit),
                    journal=journal,
                )
            )

    def _refresh_payment_state(self, ids: list[int]) -> None:
        """Residuals and payment_state after matching changed (FACTS.md 5, 6)."""
        for rid in ids:
            self._store_totals(rid)
            row = self._rows()[rid]
            state = "not_paid"
            if row["state"] == "posted" and self._is_invoice(rid):
                currency = row["currency_id"]
                if (
                    self._env["res.currency"]._round(currency, row["amount_residual"]) == 0
                    and row["amount_total"]
                ):
                    others = rec.counterpart_moves(self._env, rid)
                    reversals = all(self._rows()[o]["reversed_entry_id"] == rid for o in others)
                    state = "reversed" if others and reversals else "paid"
                elif row["amount_residual"] != row["amount_total"]:
                    state = "partial"
            if row["payment_state"] != state:
                self._write_raw([rid], {"payment_state": state})

    # -------------------------------------------------------------------------- write
    def _check_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        touched = set(vals)
        for rid in ids:
            row = self._rows()[rid]
            if row["state"] != "posted":
                continue
            if touched & LEGAL_FIELDS and self._reconciled(rid) and self._changes(rid, vals):
                raise faults.UserError(self._text("reconciled_write", name=row["name"], id=rid))
            if touched & POSTED_LOCKED and self._changes(rid, vals):
                raise faults.UserError(self._text("posted_lines_write"))

    def _changes(self, rid: int, vals: dict[str, Any]) -> bool:
        """True unless every value written equals the stored one."""
        for name, value in vals.items():
            field = self._fields[name]
            if isinstance(field, f.One2many) or self._convert(field, value) != self._value(
                rid, name
            ):
                return True
        return False

    def write(self, ids: Any, vals: dict[str, Any]) -> bool:
        ids = self._ids(ids)
        self._check_field_names(vals)
        self._check_exists(ids)
        self._check_write(ids, vals)
        vals = dict(vals)
        commands = list(vals.pop("line_ids", None) or []) + list(
            vals.pop("invoice_line_ids", None) or []
        )
        if "invoice_date" in vals and "date" not in vals and vals["invoice_date"]:
            vals["date"] = vals["invoice_date"]
        self._write_raw(ids, vals)
        lines = self._env["account.move.line"]
        for rid in ids:
            self._apply_line_commands(rid, commands)
            if "partner_id" in vals:
                lines._write_raw(
                    self._lines(rid)
                    if self._is_invoice(rid)
                    else [
                        lid
                        for lid in self._lines(rid)
                        if lines._rows()[lid]["display_type"] == "payment_term"
                    ],
                    {"partner_id": self._commercial(rid) or False},
                )
            if self._rows()[rid]["state"] == "draft" and (commands or touched_amounts(vals)):
                for lid in self._lines(rid):
                    lines._compute_amounts(lid, keep_balance=not self._is_invoice(rid))
                self._sync_lines(rid)
                self._check_balanced(rid)
        return True

    # ------------------------------------------------------------------------- unlink
    def _check_unlink(self, ids: list[int]) -> None:
        for rid in ids:
            if self._exists(rid) and self._rows()[rid]["state"] == "posted":
                raise faults.UserError(self._text("posted_unlink"))

    # ---------------------------------------------------------------------- workflow
    def action_post(self, ids: Any) -> bool:
        """Post in id order; returns False like Odoo 17 (08)."""
        ids = sorted(self._ids(ids))
        self._check_exists(ids)
        for rid in ids:
            self._check_postable(rid)
        for rid in ids:
            self._post_one(rid)
        for rid in ids:
            self._reconcile_reversal(rid)
        self._refresh_payment_state(ids)
        return False

    def _check_postable(self, rid: int) -> None:
        row = self._rows()[rid]
        if row["state"] != "draft":
            raise faults.UserError(self._text("must_be_draft", name=row["name"], id=rid))
        if not self._lines(rid):
            raise faults.UserError(self._text("post_no_lines"))
        if self._is_invoice(rid):
            if not row["partner_id"]:
                raise faults.UserError(self._text("partner_required"))
            if row["amount_total"] < 0:
                raise faults.UserError(self._text("negative_invoice"))

    def _post_one(self, rid: int) -> None:
        row = self._rows()[rid]
        changes: dict[str, Any] = {"state": "posted", "posted_before": True}
        if self._is_invoice(rid) and not row["invoice_date"]:
            changes.update(invoice_date=self._env.today, date=self._env.today)
        day = changes.get("date", row["date"])
        if not row["name"] or row["name"] == "/":
            journal = self._env.store.row("account.journal", row["journal_id"])
            changes["name"] = sequence.next_name(
                self._env.store, journal, row["move_type"], day, is_payment=bool(row["payment_id"])
            )
        if self._is_invoice(rid) and not row["payment_reference"]:
            changes["payment_reference"] = changes.get("name", row["name"])
        self._write_raw([rid], changes)
        lines = self._env["account.move.line"]
        for lid in self._lines(rid, "payment_term"):
            lines._write_raw([lid], {"name": self._rows()[rid]["payment_reference"] or ""})
        partner = self._commercial(rid)
        if partner and row["move_type"] in ("out_invoice", "out_refund", "in_invoice", "in_refund"):
            rank = "customer_rank" if row["move_type"] in SALE_TYPES else "supplier_rank"
            current = self._env.store.row("res.partner", partner)[rank]
            self._env["res.partner"]._write_raw([partner], {rank: current + 1})

    def _reconcile_reversal(self, rid: int) -> None:
        """A posted credit note (or reversal) settles the entry it reverses (11, 12)."""
        original = self._rows()[rid]["reversed_entry_id"]
        if not original or self._rows()[original]["state"] != "posted":
            return
        lines = self._env["account.move.line"]
        for account in {lines._rows()[lid]["account_id"] for lid in self._lines(rid)}:
            if not rec.reconcilable(self._env, account):
                continue
            mine = [
                lid
                for lid in self._lines(rid)
                if lines._rows()[lid]["account_id"] == account
                and not lines._rows()[lid]["reconciled"]
            ]
            theirs = [
                lid
                for lid in self._lines(original)
                if lines._rows()[lid]["account_id"] == account
                and not lines._rows()[lid]["reconciled"]
            ]
            if mine and theirs:
                rec.reconcile(self._env, mine + theirs)

    def button_draft(self, ids: Any) -> None:
        """Back to draft, unmatching its items; returns None (16: the XML-RPC fault
        comes after the change is committed)."""
        ids = self._ids(ids)
        self._check_exists(ids)
        for rid in ids:
            rec.unreconcile(self._env, self._lines(rid))
            self._write_raw([rid], {"state": "draft"})
            self._refresh_payment_state([rid])

    def button_cancel(self, ids: Any) -> None:
        ids = self._ids(ids)
        self._check_exists(ids)
        posted = [rid for rid in ids if self._rows()[rid]["state"] == "posted"]
        if posted:
            self.button_draft(posted)
        if any(self._rows()[rid]["state"] != "draft" for rid in ids):
            raise faults.UserError(self._text("cancel_not_draft"))
        self._write_raw(ids, {"state": "cancel", "auto_post": "no"})

    def action_register_payment(self, ids: Any) -> dict[str, Any]:
        return {
            "name": "Register Payment",
            "res_model": "account.payment.register",
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "new",
            "type": "ir.actions.act_window",
            "context": {"active_model": "account.move", "active_ids": self._ids(ids)},
        }

    def js_assign_outstanding_line(self, ids: Any, line_id: int) -> bool:
        """Apply an outstanding credit or payment item to this entry."""
        (rid,) = self._ids(ids)
        lines = self._env["account.move.line"]
        lines._check_exists([line_id])
        account = lines._rows()[line_id]["account_id"]
        own = [
            lid
            for lid in self._lines(rid)
            if lines._rows()[lid]["account_id"] == account and not lines._rows()[lid]["reconciled"]
        ]
        rec.reconcile(self._env, [*own, line_id])
        return True

    # ----------------------------------------------------------------------- reversal
    def _reverse(self, rid: int, defaults: dict[str, Any]) -> int:
        """A draft reversal of ``rid``: the same invoice lines, or swapped items."""
        row = self._rows()[rid]
        lines = self._env["account.move.line"]
        move_type = REVERSED_TYPE[row["move_type"]]
        if row["move_type"] in INVOICE_TYPES:
            commands = [
                [
                    0,
                    0,
                    {
                        "name": r["name"],
                        "quantity": r["quantity"],
                        "price_unit": r["price_unit"],
                        "discount": r["discount"],
                        "tax_ids": [[6, 0, r["tax_ids"]]],
                        "account_id": r["account_id"],
                        "product_id": r["product_id"] or False,
                        "display_type": r["display_type"],
                        "sequence": r["sequence"],
                    },
                ]
                for r in (lines._rows()[lid] for lid in self._lines(rid, *INVOICE_LINE_TYPES))
            ]
        else:
            commands = [
                [
                    0,
                    0,
                    {
                        "name": r["name"],
                        "account_id": r["account_id"],
                        "partner_id": r["partner_id"] or False,
                        "debit": r["credit"],
                        "credit": r["debit"],
                        "amount_currency": -r["amount_currency"],
                        "currency_id": r["currency_id"],
                    },
                ]
                for r in (lines._rows()[lid] for lid in self._lines(rid))
            ]
        vals = {
            "move_type": move_type,
            "partner_id": row["partner_id"] or False,
            "currency_id": row["currency_id"],
            "journal_id": row["journal_id"],
            "reversed_entry_id": rid,
            "line_ids": commands,
            **defaults,
        }
        if move_type in INVOICE_TYPES:
            vals.setdefault("invoice_date", vals.get("date"))
        return self._create_one(vals)


def touched_amounts(vals: dict[str, Any]) -> bool:
    return bool(set(vals) & {"currency_id", "invoice_date", "date", "move_type"})


class AccountMoveLine(BaseModel):
    _name = "account.move.line"
    _description = "Journal Item"
    _order = "date desc, move_name desc, id"

    move_id = f.Many2one("account.move", "Journal Entry", required=True)
    move_name = f.Char("Number", compute=lambda m, rid: m._move(rid)["name"])
    name = f.Char("Label")
    sequence = f.Integer("Sequence", default=10)
    display_type = f.Selection(DISPLAY_TYPES, "Display Type", default="product", required=True)
    account_id = f.Many2one("account.account", "Account")
    partner_id = f.Many2one("res.partner", "Partner")
    product_id = f.Many2one("product.product", "Product")
    product_uom_id = f.Many2one("uom.uom", "Unit of Measure")
    quantity = f.Float("Quantity", digits="Product Unit of Measure", default=1.0)
    price_unit = f.Float("Unit Price", digits="Product Price")
    discount = f.Float("Discount (%)", digits="Discount")
    tax_ids = f.Many2many("account.tax", "Taxes")
    # A JSON dict {analytic account id: percent} in Odoo 17+; stored as given.
    analytic_distribution = f.Field("Analytic Distribution")
    tax_line_id = f.Many2one("account.tax", "Originator Tax")
    tax_base_amount = f.Monetary("Base Amount")
    price_subtotal = f.Monetary("Subtotal")
    price_total = f.Monetary("Total")
    debit = f.Monetary("Debit")
    credit = f.Monetary("Credit")
    balance = f.Monetary("Balance")
    amount_currency = f.Monetary("Amount in Currency")
    currency_id = f.Many2one("res.currency", "Currency")
    company_currency_id = f.Many2one(
        "res.currency",
        "Company Currency",
        compute=lambda m, rid: m._env.store.row("res.company", 1)["currency_id"],
    )
    company_id = f.Many2one("res.company", "Company", compute=lambda m, rid: 1)
    journal_id = f.Many2one(
        "account.journal", "Journal", compute=lambda m, rid: m._move(rid)["journal_id"]
    )
    date = f.Date("Date", compute=lambda m, rid: m._move(rid)["date"])
    parent_state = f.Selection(
        [("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")],
        "Status",
        compute=lambda m, rid: m._move(rid)["state"],
    )
    move_type = f.Selection(MOVE_TYPES, "Type", compute=lambda m, rid: m._move(rid)["move_type"])
    date_maturity = f.Date("Due Date")
    amount_residual = f.Monetary("Residual Amount")
    amount_residual_currency = f.Monetary("Residual Amount in Currency")
    reconciled = f.Boolean("Reconciled")
    full_reconcile_id = f.Many2one("account.full.reconcile", "Matching")
    matched_debit_ids = f.One2many("account.partial.reconcile", "credit_move_id", "Matched Debits")
    matched_credit_ids = f.One2many("account.partial.reconcile", "debit_move_id", "Matched Credits")

    def _move(self, rid: int) -> dict[str, Any]:
        return self._env.store.row("account.move", self._rows()[rid]["move_id"])

    def _display_name(self, rid: int) -> str:
        row = self._rows()[rid]
        name = self._move(rid)["name"]
        label = row["name"]
        return f"{name} {label}".strip() if label else str(name)

    def _create_one(self, vals: dict[str, Any]) -> int:
        keep_balance = bool(vals.pop("_keep_balance", False))
        self._check_field_names(vals)
        moves = self._env["account.move"]
        moves._check_exists([vals.get("move_id")] if vals.get("move_id") else [])
        move = moves._rows().get(vals.get("move_id"))
        if move is not None:
            vals = self._line_defaults(move, vals)
            explicit = "balance" in vals or "debit" in vals or "credit" in vals
            keep_balance = keep_balance or explicit and move["move_type"] not in INVOICE_TYPES
        rid = self._insert(vals)
        self._compute_amounts(rid, keep_balance=keep_balance)
        return rid

    def _line_defaults(self, move: dict[str, Any], vals: dict[str, Any]) -> dict[str, Any]:
        vals = dict(vals)
        vals.setdefault("currency_id", move["currency_id"])
        is_invoice = move["move_type"] in INVOICE_TYPES
        if is_invoice and vals.get("display_type", "product") == "product":
            product = vals.get("product_id")
            if product:
                products = self._env["product.product"]
                vals.setdefault("name", products._display_name(product))
                if "price_unit" not in vals:
                    vals["price_unit"] = products._value(product, "list_price")
                if "tax_ids" not in vals:
                    field = "taxes_id" if move["move_type"] in SALE_TYPES else "supplier_taxes_id"
                    vals["tax_ids"] = [[6, 0, products._value(product, field)]]
                vals.setdefault("product_uom_id", products._value(product, "uom_id"))
            elif "tax_ids" not in vals:
                field = (
                    "account_sale_tax_id"
                    if move["move_type"] in SALE_TYPES
                    else "account_purchase_tax_id"
                )
                tax = self._env.store.row("res.company", 1)[field]
                vals["tax_ids"] = [[6, 0, [tax] if tax else []]]
            if not vals.get("account_id"):
                journal = self._env.store.row("account.journal", move["journal_id"])
                vals["account_id"] = journal["default_account_id"]
            vals.setdefault(
                "partner_id", self._env["account.move"]._commercial(move["id"]) or False
            )
        return vals

    def _compute_amounts(self, rid: int, *, keep_balance: bool = False) -> None:
        """Subtotal, amounts and debit/credit of one item from what the client gave."""
        row = self._rows()[rid]
        moves = self._env["account.move"]
        move = moves._rows()[row["move_id"]]
        changes: dict[str, Any] = {}
        currency = row["currency_id"] or move["currency_id"]
        if move["move_type"] in INVOICE_TYPES and row["display_type"] == "product":
            taxes = self._env["account.tax"]
            result = line_taxes(
                row["quantity"],
                row["price_unit"],
                row["discount"],
                [taxes._tax(t) for t in row["tax_ids"]],
                lambda v: moves._currency_round(currency, v),
            )
            sign = sign_of(move["move_type"])
            changes.update(
                price_subtotal=result.subtotal,
                price_total=result.total(lambda v: moves._currency_round(currency, v)),
                amount_currency=-sign * result.subtotal,
            )
            changes["balance"] = moves._to_company(move["id"], changes["amount_currency"])
        elif row["display_type"] in ("line_section", "line_note"):
            changes.update(amount_currency=ZERO, balance=ZERO)
        elif keep_balance:
            balance = (
                row["debit"] - row["credit"] if row["debit"] or row["credit"] else row["balance"]
            )
            changes["balance"] = balance
            company_currency = self._env.store.row("res.company", 1)["currency_id"]
            if not row["amount_currency"] or currency == company_currency:
                changes["amount_currency"] = balance
        else:
            changes["balance"] = moves._to_company(move["id"], row["amount_currency"])
        balance = changes.get("balance", row["balance"])
        changes.update(
            debit=max(balance, ZERO),
            credit=max(-balance, ZERO),
            amount_residual=balance,
            amount_residual_currency=changes.get("amount_currency", row["amount_currency"]),
        )
        if not rec.reconcilable(self._env, row["account_id"]):
            changes.update(amount_residual=ZERO, amount_residual_currency=ZERO)
        self._env.store.update(self._name, rid, changes)

    def _check_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        moves = self._env["account.move"]
        for move_id in {self._rows()[lid]["move_id"] for lid in ids}:
            if moves._rows()[move_id]["state"] == "posted" and set(vals) - {"name"}:
                moves._check_write([move_id], {"line_ids": []})

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        moves = self._env["account.move"]
        for move_id in sorted({self._rows()[lid]["move_id"] for lid in ids}):
            if moves._rows()[move_id]["state"] == "draft":
                for lid in ids:
                    self._compute_amounts(lid, keep_balance=not moves._is_invoice(move_id))
                moves._sync_lines(move_id)


MODELS: list[type[BaseModel]] = [AccountMove, AccountMoveLine]
