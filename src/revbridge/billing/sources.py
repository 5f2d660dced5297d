"""Which usage source the faces (API, CLI) bill from: the SQL usage store by default.

A single hook, so a deployment that keeps usage elsewhere (ClickHouse) or a test can
swap the source without touching the routes and commands.
"""

from __future__ import annotations

from revbridge.billing.run import UsageFactory
from revbridge.ingest.usage import UsageSource
from revbridge.scope import Scope

__all__ = ["set_usage_factory", "usage_for"]


def _sql(scope: Scope) -> UsageSource:
    from revbridge.ingest.meters import SqlUsage

    return SqlUsage(scope)


_factory: list[UsageFactory] = [_sql]


def usage_for(scope: Scope) -> UsageSource:
    return _factory[0](scope)


def set_usage_factory(factory: UsageFactory | None) -> None:
    """Bill from ``factory``'s sources from now on (``None``: back to the SQL store)."""
    _factory[0] = factory or _sql
