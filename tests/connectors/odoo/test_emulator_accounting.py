"""Accounting behaviours the connector relies on that the recordings do not cover."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Callable
from typing import Any

import pytest

from revbridge.connectors.odoo.emulator import EmulatorHandle

Call = Callable[..., Any]
MOVE_FIELDS = ["state", "amount_total", "amount_residual", "payment_state"]


@pytest.fixture
def rpc(odoo_emulator: EmulatorHandle) -> Call:
    """``rpc(model, method, *args, **kwargs)`` over XML-RPC as admin."""
    proxy = xmlrpc.client.ServerProxy(f"{odoo_emulator.url}/xmlrpc/2/object", allow_none=True)

    def call(model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return proxy.execute_kw(odoo_emulator.db, 2, "admin", model, method, list(args), kwargs)

    return call


def _posted(rpc: Call, move_type: str, amount: float, **extra: Any) -> int:
    partner = extra.pop("partner_id", None) or rpc("res.partner", "create", {"name": "Cust"})
    move = rpc(
        "account.move",
        "create",
        {
            "move_type": move_type,
            "partner_id": partner,
            "invoice_date": "2026-11-20",
            "invoice_line_ids": [
                [0, 0, {"name": "x", "quantity": 1, "price_unit": amount, "tax_ids": [[6, 0, []]]}]
            ],
            **extra,
        },
    )
    rpc("account.move", "action_post", [move])
    return int(move)


def _state(rpc: Call, move: int) -> dict[str, Any]:
    (row,) = rpc("account.move", "read", [move], fields=MOVE_FIELDS)
    return {k: row[k] for k in MOVE_FIELDS}


def _pay(rpc: Call, move: int, **vals: Any) -> Any:
    context = {
        "active_model": "account.move",
        "active_ids": [move],
        "dont_redirect_to_payments": True,
    }
    wizard = rpc("account.payment.register", "create", vals, context=context)
    return rpc("account.payment.register", "action_create_payments", [wizard], context=context)


def test_unlinked_credit_note_paid_in_part_is_partial(rpc: Call) -> None:
    refund = _posted(rpc, "out_refund", 100.0)
    _pay(rpc, refund, amount=30.0, payment_date="2026-11-22")
    assert _state(rpc, refund) == {
        "state": "posted",
        "amount_total": 100.0,
        "amount_residual": 70.0,
        "payment_state": "partial",
    }
    (payment,) = rpc("account.payment", "search_read", [], fields=["payment_type", "amount"])
    assert (payment["payment_type"], payment["amount"]) == ("outbound", 30.0)


def test_register_payment_on_partially_credited_invoice_pays_the_rest(rpc: Call) -> None:
    invoice = _posted(rpc, "out_invoice", 100.0)
    partner = rpc("account.move", "read", [invoice], fields=["partner_id"])[0]["partner_id"][0]
    credit = _posted(rpc, "out_refund", 40.0, partner_id=partner, reversed_entry_id=invoice)
    assert _state(rpc, invoice)["payment_state"] == "partial"
    context = {"active_model": "account.move", "active_ids": [invoice]}
    wizard = rpc(
        "account.payment.register", "create", {"payment_date": "2026-11-22"}, context=context
    )
    (read,) = rpc(
        "account.payment.register",
        "read",
        [wizard],
        fields=["amount", "payment_difference", "communication"],
    )
    assert (read["amount"], read["payment_difference"]) == (60.0, 0.0)
    action = rpc("account.payment.register", "action_create_payments", [wizard], context=context)
    assert action["res_model"] == "account.payment" and action["view_mode"] == "form"
    assert _state(rpc, invoice) == {
        "state": "posted",
        "amount_total": 100.0,
        "amount_residual": 0.0,
        "payment_state": "paid",
    }
    assert _state(rpc, credit)["payment_state"] == "paid"
    (payment,) = rpc(
        "account.payment",
        "read",
        [action["res_id"]],
        fields=["amount", "is_reconciled", "reconciled_invoice_ids", "ref"],
    )
    assert payment["amount"] == 60.0 and payment["is_reconciled"]
    assert payment["reconciled_invoice_ids"] == [invoice]


def test_write_on_reconciled_move_is_refused_but_ref_is_allowed(rpc: Call) -> None:
    invoice = _posted(rpc, "out_invoice", 50.0)
    _pay(rpc, invoice, amount=10.0)
    other = rpc("res.partner", "create", {"name": "Other"})
    with pytest.raises(xmlrpc.client.Fault) as refused:
        rpc("account.move", "write", [invoice], {"partner_id": other})
    assert refused.value.faultCode == 2
    assert refused.value.faultString.startswith(
        "You cannot do this modification on a reconciled journal entry."
    )
    assert rpc("account.move", "write", [invoice], {"ref": "PO-1"}) is True


def test_writing_lines_of_a_posted_move_is_refused(rpc: Call) -> None:
    invoice = _posted(rpc, "out_invoice", 50.0)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        rpc(
            "account.move",
            "write",
            [invoice],
            {"invoice_line_ids": [[0, 0, {"name": "more", "price_unit": 5.0}]]},
        )
    assert refused.value.faultCode == 2


def test_reset_to_draft_unmatches_the_payment(rpc: Call) -> None:
    invoice = _posted(rpc, "out_invoice", 80.0)
    _pay(rpc, invoice)
    assert _state(rpc, invoice)["payment_state"] == "paid"
    with pytest.raises(xmlrpc.client.Fault, match="cannot marshal None"):
        rpc("account.move", "button_draft", [invoice])
    assert _state(rpc, invoice) == {
        "state": "draft",
        "amount_total": 80.0,
        "amount_residual": 80.0,
        "payment_state": "not_paid",
    }
    (payment,) = rpc("account.payment", "search_read", [], fields=["is_reconciled", "state"])
    assert (payment["is_reconciled"], payment["state"]) == (False, "posted")


def test_write_off_marks_the_invoice_fully_paid(rpc: Call) -> None:
    invoice = _posted(rpc, "out_invoice", 100.0)
    _pay(
        rpc,
        invoice,
        amount=99.5,
        payment_difference_handling="reconcile",
        writeoff_account_id=30,
        writeoff_label="Bank fee",
    )
    assert _state(rpc, invoice)["payment_state"] == "paid"


def test_a_failing_call_changes_nothing(rpc: Call) -> None:
    before = rpc("res.partner", "search_count", [])
    with pytest.raises(xmlrpc.client.Fault) as failed:
        rpc("res.partner", "create", [{"name": "kept?"}, {"name": "x", "bogus": 1}])
    assert failed.value.faultCode == 1
    assert rpc("res.partner", "search_count", []) == before


def test_failed_post_leaves_every_move_draft_and_numbers_unused(rpc: Call) -> None:
    good = rpc(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "partner_id": 3,
            "invoice_line_ids": [[0, 0, {"name": "a", "price_unit": 1.0}]],
        },
    )
    empty = rpc("account.move", "create", {"move_type": "out_invoice", "partner_id": 3})
    with pytest.raises(xmlrpc.client.Fault):
        rpc("account.move", "action_post", [good, empty])
    assert rpc("account.move", "read", [good], fields=["state", "name"])[0]["name"] == "/"
    rpc("account.move", "action_post", [good])
    year = rpc("account.move", "read", [good], fields=["date"])[0]["date"][:4]
    assert rpc("account.move", "read", [good], fields=["name"])[0]["name"] == f"INV/{year}/00001"


def test_modify_moves_reverses_and_opens_a_draft_copy(rpc: Call) -> None:
    invoice = _posted(rpc, "out_invoice", 70.0)
    context = {"active_model": "account.move", "active_ids": [invoice]}
    wizard = rpc("account.move.reversal", "create", {"reason": "price"}, context=context)
    action = rpc("account.move.reversal", "modify_moves", [wizard], context=context)
    assert _state(rpc, invoice)["payment_state"] == "reversed"
    copy = rpc(
        "account.move",
        "read",
        [action["res_id"]],
        fields=["move_type", "state", "amount_total", "reversed_entry_id"],
    )[0]
    assert copy == {
        "id": action["res_id"],
        "move_type": "out_invoice",
        "state": "draft",
        "amount_total": 70.0,
        "reversed_entry_id": False,
    }


def test_vendor_bill_numbering_and_payable(rpc: Call) -> None:
    bill = _posted(rpc, "in_invoice", 20.0)
    (row,) = rpc(
        "account.move", "read", [bill], fields=["name", "amount_total_signed", "journal_id"]
    )
    assert row["name"].startswith("BILL/") and row["name"].endswith("/0001")
    assert row["amount_total_signed"] == -20.0 and row["journal_id"][0] == 2
    lines = rpc(
        "account.move.line",
        "search_read",
        [["move_id", "=", bill]],
        fields=["account_id", "balance"],
        order="id",
    )
    assert [(line["account_id"][0], line["balance"]) for line in lines] == [(29, 20.0), (13, -20.0)]


def test_read_group_by_month_and_name_search(rpc: Call) -> None:
    _posted(rpc, "out_invoice", 10.0)
    _posted(rpc, "out_invoice", 5.0)
    (group,) = rpc(
        "account.move",
        "read_group",
        [["move_type", "=", "out_invoice"]],
        ["amount_total:sum"],
        ["invoice_date:month"],
    )
    assert (group["invoice_date:month"], group["amount_total"]) == ("November 2026", 15.0)
    assert group["invoice_date_count"] == 2
    assert rpc("res.partner", "name_search", "Cus", limit=1)[0][1] == "Cust"
