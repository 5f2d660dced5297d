"""External ids (``ir.model.data`` rows under module ``revbridge``): how a replay finds
what an earlier attempt created.

Why external ids and not ``ref``: Odoo does not keep ``ref`` unique (FACTS.md 4), but it
does keep ``(module, name)`` unique. Each record revbridge creates gets the name
``<workspace>_<kind>_<id>``; a replay looks the name up first.

Why the fallback search: Odoo cannot create a record and its external id in one call,
so an attempt can die between the two (crash after commit, timeout). The record then
exists without its external id. :meth:`ExternalIds.ensure` therefore searches by a
deterministic tag the record was created with (a partner's ``ref``, a product's
``default_code``, a move's ``ref``), keeps only candidates no other revbridge external
id claims, and attaches the name to the oldest one: found, not duplicated.

Lookups batch: one ``search_read`` on ``ir.model.data`` resolves every name a sync needs.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from revbridge.connectors.odoo.errors import OdooUserError
from revbridge.connectors.odoo.transport import Transport

__all__ = ["MODULE", "Ensured", "ExternalIds", "xmlid_name"]

logger = logging.getLogger(__name__)
MODULE = "revbridge"
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_MAX = 120


def xmlid_name(workspace: str, kind: str, key: str) -> str:
    """``<workspace>_<kind>_<key>`` with anything but letters, digits and ``_`` replaced;
    when something was replaced (or cut), a hash of the original keeps names distinct
    (``INV/2026/1`` and ``INV-2026-1`` must not meet)."""
    raw = f"{workspace}_{kind}_{key}"
    safe = _UNSAFE.sub("_", raw)
    if safe != raw or len(safe) > _MAX:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:10]
        safe = f"{safe[: _MAX - 11]}_{digest}"
    return safe


@dataclass(frozen=True)
class Ensured:
    res_id: int
    created: bool  # False: found by external id or recovered by tag
    recovered: bool = False


class ExternalIds:
    def __init__(self, transport: Transport, workspace: str) -> None:
        self.transport = transport
        self.workspace = workspace

    def name(self, kind: str, key: str) -> str:
        return xmlid_name(self.workspace, kind, key)

    def lookup(self, names: Iterable[str]) -> dict[str, int]:
        """``res_id`` per name found, in one call."""
        wanted = sorted(set(names))
        if not wanted:
            return {}
        rows = self.transport.call(
            "ir.model.data",
            "search_read",
            domain=[["module", "=", MODULE], ["name", "in", wanted]],
            fields=["name", "res_id"],
        )
        return {str(r["name"]): int(r["res_id"]) for r in rows if r["res_id"]}

    def claimed(self, model: str, ids: list[int]) -> set[int]:
        """Which of ``ids`` already carry a revbridge external id."""
        if not ids:
            return set()
        rows = self.transport.call(
            "ir.model.data",
            "search_read",
            domain=[["module", "=", MODULE], ["model", "=", model], ["res_id", "in", ids]],
            fields=["res_id"],
        )
        return {int(r["res_id"]) for r in rows}

    def attach(self, name: str, model: str, res_id: int) -> int:
        """Give ``res_id`` the external id; if another attempt won the race, return its
        record instead (the unique index refuses ours)."""
        try:
            self.transport.call(
                "ir.model.data",
                "create",
                vals_list=[
                    {"module": MODULE, "name": name, "model": model, "res_id": res_id,
                     "noupdate": True}
                ],
            )
        except OdooUserError as exc:
            if "ir_model_data_module_name_uniq" not in str(exc):
                raise
            winner = self.lookup([name]).get(name)
            if winner is None:
                raise
            return winner
        return res_id

    def ensure(
        self,
        name: str,
        model: str,
        known: dict[str, int],
        *,
        find: Callable[[], list[int]],
        create: Callable[[], int],
    ) -> Ensured:
        """The record named ``name``: from ``known`` (a batched lookup), else recovered
        by ``find`` (candidate ids by tag, oldest first), else made by ``create``."""
        if name in known:
            return Ensured(known[name], created=False)
        candidates = find()
        if candidates:
            taken = self.claimed(model, candidates)
            free = [c for c in candidates if c not in taken]
            if free:
                if len(free) > 1:
                    logger.warning(
                        "several %s records match the tag of %s; attaching the oldest",
                        model,
                        name,
                        extra={"xmlid": name, "candidates": free},
                    )
                res_id = self.attach(name, model, free[0])
                known[name] = res_id
                return Ensured(res_id, created=False, recovered=True)
        res_id = create()
        attached = self.attach(name, model, res_id)
        known[name] = attached
        return Ensured(attached, created=attached == res_id)
