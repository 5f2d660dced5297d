"""Miscellaneous journal entries (revenue recognition, close) into Odoo, once each.

Why revbridge checks the balance itself: Odoo refuses an unbalanced ``entry`` only at
create, with a message whose amounts are formatted for people (``$``+U+00A0+``100.00``,
FACTS.md 7); refusing before the call keeps the reason exact and costs no round trip.
Each line must carry exactly one positive side. The entry is created in draft with all
its items in one ``create``, then posted; the external id
(``<workspace>_entry_<key>``) and ``ref`` make a replay find it, as for invoices.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.errors import OdooRefused
from revbridge.connectors.odoo.facts import OdooFacts
from revbridge.connectors.odoo.mapping import LegalEntityMapping, OdooMapping
from revbridge.connectors.odoo.moves import finish_move
from revbridge.connectors.odoo.transport import Transport
from revbridge.connectors.odoo.values import EntryResult, JournalEntry
from revbridge.connectors.odoo.xmlids import ExternalIds
from revbridge.domain.money import minor_unit

__all__ = ["Journal", "check_balanced"]

ZERO = Decimal(0)


def check_balanced(entry: JournalEntry) -> None:
    """Refuse an entry Odoo would refuse or misread: no lines, a line with both or no
    sides, a negative amount, more decimals than the currency, debits != credits."""
    if len(entry.lines) < 2:
        raise OdooRefused(f"entry {entry.key}: needs at least two lines")
    step = Decimal(1).scaleb(-minor_unit(entry.currency))
    for i, line in enumerate(entry.lines):
        where = f"entry {entry.key} line {i} ({line.label!r})"
        if line.debit < 0 or line.credit < 0:
            raise OdooRefused(f"{where}: debit and credit must not be negative")
        if (line.debit > 0) == (line.credit > 0):
            raise OdooRefused(f"{where}: exactly one of debit and credit must be positive")
        if line.debit != line.debit.quantize(step) or line.credit != line.credit.quantize(step):
            raise OdooRefused(f"{where}: more decimals than {entry.currency} has")
    debit = sum((line.debit for line in entry.lines), ZERO)
    credit = sum((line.credit for line in entry.lines), ZERO)
    if debit != credit:
        raise OdooRefused(
            f"entry {entry.key}: not balanced, debits {debit} != credits {credit} "
            f"{entry.currency}"
        )


class Journal:
    def __init__(
        self, transport: Transport, xmlids: ExternalIds, facts: OdooFacts, mapping: OdooMapping
    ) -> None:
        self.transport = transport
        self.xmlids = xmlids
        self.facts = facts
        self.mapping = mapping

    def post(self, entry: JournalEntry) -> EntryResult:
        check_balanced(entry)
        entity = self.mapping.entity(entry.legal_entity)
        lines = [self._line(entity, line) for line in entry.lines]  # refuse unmapped first
        name = self.xmlids.name("entry", f"{entry.legal_entity}_{entry.key}")
        known = self.xmlids.lookup([name])
        ensured = self.xmlids.ensure(
            name,
            "account.move",
            known,
            find=lambda: self._by_ref(entry.ref, entity.company_id),
            create=lambda: self._create(entry, entity, lines),
        )
        row = finish_move(
            self.transport, ensured.res_id, fields=["name", "state"], draft_known=ensured.created
        )
        return EntryResult(
            entry.key, ensured.res_id, str(row["name"]), str(row["state"]), ensured.created
        )

    def _line(self, entity: LegalEntityMapping, line: Any) -> dict[str, Any]:
        vals: dict[str, Any] = {
            "account_id": entity.account(line.account),
            "name": line.label,
            "debit": line.debit,
            "credit": line.credit,
        }
        if line.partner_id:
            vals["partner_id"] = line.partner_id
        if line.analytic_distribution:
            vals["analytic_distribution"] = dict(line.analytic_distribution)
        return vals

    def _by_ref(self, ref: str, company_id: int) -> list[int]:
        ids = self.transport.call(
            "account.move",
            "search",
            domain=[["ref", "=", ref], ["move_type", "=", "entry"], ["company_id", "=", company_id]],
            order="id",
        )
        return [int(i) for i in ids]

    def _create(
        self, entry: JournalEntry, entity: LegalEntityMapping, lines: list[dict[str, Any]]
    ) -> int:
        vals: dict[str, Any] = {
            "move_type": "entry",
            "company_id": entity.company_id,
            "date": entry.date,
            "ref": entry.ref,
            "currency_id": self.facts.currency_id(entry.currency),
            "line_ids": [[0, 0, line] for line in lines],
        }
        if entity.misc_journal_id:
            vals["journal_id"] = entity.misc_journal_id
        (created,) = self.transport.call("account.move", "create", vals_list=[vals])
        return int(created)
