"""Journal entry numbers, given at posting (FACTS.md 3).

Why prefixes and not ``ir.sequence``: Odoo 17 numbers moves from the journal code and the
date: yearly ``INV/2026/00001`` on sale, bank and cash journals, monthly
``MISC/2026/11/0001`` on the others; credit notes take an ``R`` prefix on journals with a
dedicated refund sequence and payments a ``P`` prefix (``PBNK1/2026/00019``). Each prefix
counts on its own, in posting order, which is id order within one ``action_post``.
"""

from __future__ import annotations

import datetime as dt

from revbridge.connectors.odoo.emulator.registry.store import Store

YEARLY_JOURNALS = ("sale", "bank", "cash")
REFUND_TYPES = ("out_refund", "in_refund")


def prefix_for(
    journal: dict[str, object], move_type: str, day: dt.date, *, is_payment: bool
) -> tuple[str, int]:
    """The name prefix and the width of the number for a move posted on ``day``."""
    code = str(journal["code"])
    if is_payment and journal.get("payment_sequence"):
        code = "P" + code
    elif move_type in REFUND_TYPES and journal.get("refund_sequence"):
        code = "R" + code
    if journal["type"] in YEARLY_JOURNALS:
        return f"{code}/{day.year:04d}/", 5
    return f"{code}/{day.year:04d}/{day.month:02d}/", 4


def next_name(
    store: Store,
    journal: dict[str, object],
    move_type: str,
    day: dt.date,
    *,
    is_payment: bool = False,
) -> str:
    """Take the next number of the prefix; transactional, so a failed post gives it back."""
    prefix, width = prefix_for(journal, move_type, day, is_payment=is_payment)
    key = f"sequence:{journal['id']}:{prefix}"
    number = int(store.get_meta(key, 0)) + 1
    store.set_meta(key, number)
    return f"{prefix}{number:0{width}d}"
