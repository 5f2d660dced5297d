"""Helpers the routers share: list answers and row conversion."""

from __future__ import annotations

from typing import Any

from revbridge.store.paging import Page


def listing(result: Page, convert: Any = None) -> dict[str, Any]:
    rows = [dict(r._mapping) for r in result.rows]
    return {"data": [convert(r) if convert else r for r in rows], "next_cursor": result.next_cursor}


def without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in names}
