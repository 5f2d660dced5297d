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

import contextlib
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from revbridge.connectors.odoo.errors import OdooError, OdooUserError
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


@dataclass
class _Waiters:
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0


class ExternalIds:
    def __init__(self, transport: Transport, workspace: str) -> None:
        self.transport = transport
        self.workspace = workspace
        self._guard = threading.Lock()
        self._locks: dict[str, _Waiters] = {}
        self._resolved: dict[str, int] = {}

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

    def claimed(self, model: str, ids: list[int]) -> dict[int, str]:
        """Which of ``ids`` already carry a revbridge external id, and its name."""
        if not ids:
            return {}
        rows = self.transport.call(
            "ir.model.data",
            "search_read",
            domain=[["module", "=", MODULE], ["model", "=", model], ["res_id", "in", ids]],
            fields=["res_id", "name"],
        )
        return {int(r["res_id"]): str(r["name"]) for r in rows}

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
        with self._exclusive(name):
            if name in self._resolved:  # a thread holding the name just made it
                known[name] = self._resolved[name]
                return Ensured(known[name], created=False)
            ensured = self._find_or_create(name, model, known, find, create)
            self._resolved[name] = ensured.res_id
            return ensured

    @contextlib.contextmanager
    def _exclusive(self, name: str) -> Iterator[None]:
        """One thread at a time per name: two threads syncing invoices of one new
        customer must not both create it; the second finds what the first made. The
        lock and the remembered id live only while someone holds or awaits the name."""
        with self._guard:
            entry = self._locks.setdefault(name, _Waiters())
            entry.count += 1
        try:
            with entry.lock:
                yield
        finally:
            with self._guard:
                entry.count -= 1
                if not entry.count:
                    del self._locks[name]
                    self._resolved.pop(name, None)

    def _find_or_create(
        self,
        name: str,
        model: str,
        known: dict[str, int],
        find: Callable[[], list[int]],
        create: Callable[[], int],
    ) -> Ensured:
        candidates = find()
        if candidates:
            taken = self.claimed(model, candidates)
            ours = [c for c in candidates if taken.get(c) == name]
            if ours:  # attached meanwhile (by another worker) since our lookup
                known[name] = ours[0]
                return Ensured(ours[0], created=False)
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
        if attached != res_id:
            self._discard(model, res_id)
        return Ensured(attached, created=attached == res_id)

    def _discard(self, model: str, res_id: int) -> None:
        """Another process attached the name first: remove our twin (a fresh partner,
        product or draft move can be deleted); if Odoo refuses, it stays, unclaimed."""
        try:
            self.transport.call(model, "unlink", ids=[res_id])
        except OdooError as exc:
            logger.warning("could not remove duplicate %s %s: %s", model, res_id, exc)
