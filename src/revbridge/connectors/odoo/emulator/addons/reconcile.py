"""Reconciliation: matching debit and credit journal items of one account.

Why it matters to the connector: payment states come from here (not_paid -> partial ->
paid, or reversed when a credit note settles its invoice, FACTS.md 5, 6), and a
reconciled entry refuses legal changes (7). A partial reconcile records how much of a
debit item a credit item settles; an item's residual is its balance minus what is
matched. Exchange differences are not booked: when an item in a foreign currency is
settled in that currency its company-currency residual is closed as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.money import ZERO
from revbridge.connectors.odoo.emulator.registry import fields as f
from revbridge.connectors.odoo.emulator.registry.environment import Env
from revbridge.connectors.odoo.emulator.registry.models import BaseModel


class AccountPartialReconcile(BaseModel):
    _name = "account.partial.reconcile"
    _description = "Partial Reconcile"
    _rec_name = None

    debit_move_id = f.Many2one("account.move.line", "Debit line", required=True)
    credit_move_id = f.Many2one("account.move.line", "Credit line", required=True)
    amount = f.Monetary("Amount")
    debit_amount_currency = f.Monetary("Debit amount in currency")
    credit_amount_currency = f.Monetary("Credit amount in currency")
    full_reconcile_id = f.Many2one("account.full.reconcile", "Full Reconcile")
    company_id = f.Many2one("res.company", "Company", default=1)
    max_date = f.Date("Max Date of Matched Lines")


class AccountFullReconcile(BaseModel):
    _name = "account.full.reconcile"
    _description = "Full Reconcile"

    name = f.Char("Number")
    partial_reconcile_ids = f.One2many(
        "account.partial.reconcile", "full_reconcile_id", "Reconciliation Parts"
    )
    reconciled_line_ids = f.One2many(
        "account.move.line", "full_reconcile_id", "Matched Journal Items"
    )


def reconcilable(env: Env, account_id: int | None) -> bool:
    if not account_id:
        return False
    row = env.store.row("account.account", account_id)
    return bool(row["reconcile"]) or row["account_type"] in (
        "asset_receivable",
        "liability_payable",
    )


def reconcile(env: Env, line_ids: Iterable[int]) -> None:
    """Match the given items against each other, oldest first."""
    lines = env["account.move.line"]
    ids = sorted(set(line_ids))
    rows = {lid: lines._rows()[lid] for lid in ids}
    accounts = {row["account_id"] for row in rows.values()}
    if len(accounts) > 1:
        names = ", ".join(sorted(env["account.account"]._display_name(a) for a in accounts))
        raise faults.UserError(lines._text("reconcile_mismatch", accounts=names))

    def order(lid: int) -> tuple[Any, int]:
        return (rows[lid].get("date_maturity") or env.today, lid)

    debits = sorted((lid for lid in ids if rows[lid]["amount_residual"] > 0), key=order)
    credits = sorted((lid for lid in ids if rows[lid]["amount_residual"] < 0), key=order)
    partials = env["account.partial.reconcile"]
    for debit in debits:
        for credit in credits:
            d, c = lines._rows()[debit], lines._rows()[credit]
            if d["amount_residual"] <= 0 and d["amount_residual_currency"] <= 0:
                break
            if c["amount_residual"] >= 0 and c["amount_residual_currency"] >= 0:
                continue
            amount, debit_cur, credit_cur = _match(d, c)
            if amount <= 0 and debit_cur <= 0:
                continue
            partials._create_one(
                {
                    "debit_move_id": debit,
                    "credit_move_id": credit,
                    "amount": amount,
                    "debit_amount_currency": debit_cur,
                    "credit_amount_currency": credit_cur,
                }
            )
            refresh_lines(env, [debit, credit])
    _close_full(env, ids)
    refresh_moves(env, {rows[lid]["move_id"] for lid in ids})


def _match(debit: dict[str, Any], credit: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    """(company amount, debit-side currency amount, credit-side currency amount)."""
    d_res, c_res = debit["amount_residual"], -credit["amount_residual"]
    d_cur, c_cur = debit["amount_residual_currency"], -credit["amount_residual_currency"]
    if debit["currency_id"] == credit["currency_id"]:
        cur = min(d_cur, c_cur)
        d_amt = d_res if cur == d_cur else _share(d_res, cur, d_cur)
        c_amt = c_res if cur == c_cur else _share(c_res, cur, c_cur)
        return min(d_amt, c_amt), cur, cur
    amount = min(d_res, c_res)
    return amount, _share(d_cur, amount, d_res), _share(c_cur, amount, c_res)


def _share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return ZERO
    return (total * part / whole).quantize(Decimal("0.01"))


def refresh_lines(env: Env, line_ids: Iterable[int]) -> None:
    """Recompute residuals and the ``reconciled`` flag from the partials."""
    lines = env["account.move.line"]
    partials = env.store.table("account.partial.reconcile").values()
    company_currency = env.store.row("res.company", 1)["currency_id"]
    for lid in line_ids:
        if not lines._exists(lid):
            continue
        row = lines._rows()[lid]
        if not reconcilable(env, row["account_id"]):
            lines._write_raw(
                [lid],
                {"amount_residual": ZERO, "amount_residual_currency": ZERO, "reconciled": False},
            )
            continue
        residual, residual_cur = row["balance"], row["amount_currency"]
        for partial in partials:
            if partial["debit_move_id"] == lid:
                residual -= partial["amount"]
                residual_cur -= partial["debit_amount_currency"]
            if partial["credit_move_id"] == lid:
                residual += partial["amount"]
                residual_cur += partial["credit_amount_currency"]
        if row["currency_id"] != company_currency and residual_cur == 0:
            residual = ZERO
        changes = {
            "amount_residual": residual,
            "amount_residual_currency": residual_cur,
            "reconciled": residual == 0 and residual_cur == 0,
        }
        if any(row[k] != v for k, v in changes.items()):
            lines._write_raw([lid], changes)


def _close_full(env: Env, line_ids: list[int]) -> None:
    """Group fully matched items under one full reconcile, as Odoo does."""
    lines = env["account.move.line"]
    group = _matched_group(env, line_ids)
    if group and all(lines._rows()[lid]["reconciled"] for lid in group):
        full = env["account.full.reconcile"]._create_one({})
        lines._write_raw(sorted(group), {"full_reconcile_id": full})
        for pid, partial in env.store.table("account.partial.reconcile").items():
            if partial["debit_move_id"] in group:
                env["account.partial.reconcile"]._write_raw([pid], {"full_reconcile_id": full})


def _matched_group(env: Env, line_ids: Iterable[int]) -> set[int]:
    """Every item linked to ``line_ids`` through partials (transitively)."""
    partials = list(env.store.table("account.partial.reconcile").values())
    group, todo = set(), list(line_ids)
    while todo:
        lid = todo.pop()
        if lid in group:
            continue
        group.add(lid)
        for p in partials:
            if lid in (p["debit_move_id"], p["credit_move_id"]):
                todo += [p["debit_move_id"], p["credit_move_id"]]
    return group


def unreconcile(env: Env, line_ids: Iterable[int]) -> None:
    """Remove every partial touching ``line_ids`` and refresh both sides."""
    targets = set(line_ids)
    touched: set[int] = set()
    store = env.store
    for pid, partial in list(store.table("account.partial.reconcile").items()):
        if partial["debit_move_id"] in targets or partial["credit_move_id"] in targets:
            touched |= {partial["debit_move_id"], partial["credit_move_id"]}
            store.delete("account.partial.reconcile", pid)
    lines = env["account.move.line"]
    for lid in touched:
        if lines._rows()[lid]["full_reconcile_id"]:
            lines._write_raw([lid], {"full_reconcile_id": False})
    refresh_lines(env, touched)
    refresh_moves(env, {lines._rows()[lid]["move_id"] for lid in touched})


def counterpart_moves(env: Env, move_id: int) -> set[int]:
    """Moves whose items are matched with the items of ``move_id``."""
    lines = env.store.table("account.move.line")
    own = {lid for lid, row in lines.items() if row["move_id"] == move_id}
    result = set()
    for partial in env.store.table("account.partial.reconcile").values():
        pair = (partial["debit_move_id"], partial["credit_move_id"])
        for mine, other in (pair, pair[::-1]):
            if mine in own and other not in own:
                result.add(lines[other]["move_id"])
    return result


def refresh_moves(env: Env, move_ids: Iterable[int]) -> None:
    env["account.move"]._refresh_payment_state(sorted(set(move_ids)))


MODELS: list[type[BaseModel]] = [AccountPartialReconcile, AccountFullReconcile]
