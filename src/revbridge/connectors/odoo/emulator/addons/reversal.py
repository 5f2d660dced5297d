"""The credit-note wizard ``account.move.reversal`` (11_credit_note_wizard).

Why a wizard record: clients create it with the moves in the context (``active_model``
/ ``active_ids``), then call ``refund_moves``, which answers a window action whose
``res_id`` is the new draft credit note, a full copy of the invoice whose ``ref`` reads
"Reversal of: <number>, <reason>".
"""

from __future__ import annotations

from typing import Any

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.registry import fields as f
from revbridge.connectors.odoo.emulator.registry.models import BaseModel


class AccountMoveReversal(BaseModel):
    _name = "account.move.reversal"
    _description = "Account Move Reversal"
    _rec_name = None

    move_ids = f.Many2many("account.move", "Moves")
    new_move_ids = f.Many2many("account.move", "New Moves")
    date = f.Date("Reversal date", default=lambda m: m._env.today)
    reason = f.Char("Reason displayed on Credit Note")
    journal_id = f.Many2one("account.journal", "Journal")
    company_id = f.Many2one("res.company", "Company", default=1)

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        context = self._env.context
        if "move_ids" not in vals and context.get("active_model") == "account.move":
            vals = {**vals, "move_ids": [[6, 0, list(context.get("active_ids") or [])]]}
        return vals

    def _reverse_all(self, rid: int) -> list[int]:
        row = self._rows()[rid]
        moves = self._env["account.move"]
        moves._check_exists(row["move_ids"])
        created = []
        for move_id in row["move_ids"]:
            move = moves._rows()[move_id]
            if move["state"] != "posted":
                raise faults.UserError(self._text("reverse_not_posted"))
            ref = f"Reversal of: {move['name']}"
            if row["reason"]:
                ref += f", {row['reason']}"
            defaults: dict[str, Any] = {"ref": ref, "date": row["date"] or self._env.today}
            if row["journal_id"]:
                defaults["journal_id"] = row["journal_id"]
            created.append(moves._reverse(move_id, defaults))
        self._write_raw([rid], {"new_move_ids": [[6, 0, created]]})
        return created

    def _action(self, ids: list[int], move_type: str | None) -> dict[str, Any]:
        action: dict[str, Any] = {
            "name": "Reverse Moves",
            "type": "ir.actions.act_window",
            "res_model": "account.move",
        }
        if len(ids) == 1:
            action.update(view_mode="form", res_id=ids[0])
        else:
            list_mode = "list" if self._env.profile.server_serie >= "18" else "tree"
            action.update(view_mode=f"{list_mode},form", domain=[["id", "in", ids]])
        if move_type:
            action["context"] = {"default_move_type": move_type}
        return action

    def refund_moves(self, ids: Any) -> dict[str, Any]:
        """Create the draft reversals and point at them."""
        (rid,) = self._ids(ids)
        created = self._reverse_all(rid)
        types = {self._env["account.move"]._rows()[m]["move_type"] for m in created}
        return self._action(created, types.pop() if len(types) == 1 else None)

    def modify_moves(self, ids: Any) -> dict[str, Any]:
        """Reverse and post (settling the originals), then open a draft copy of each."""
        (rid,) = self._ids(ids)
        moves = self._env["account.move"]
        created = self._reverse_all(rid)
        moves.action_post(created)
        copies = []
        for move_id in self._rows()[rid]["move_ids"]:
            original = moves._rows()[move_id]
            day = self._rows()[rid]["date"]
            copies.append(
                moves._reverse(
                    move_id,
                    {
                        "move_type": original["move_type"],
                        "reversed_entry_id": False,
                        "ref": original["ref"] or False,
                        "date": day,
                    },
                )
            )
        return self._action(copies, None)


MODELS: list[type[BaseModel]] = [AccountMoveReversal]
