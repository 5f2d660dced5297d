"""Fixtures: a fresh Odoo emulator per test, on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from revbridge.connectors.odoo.emulator import EmulatorHandle, start_emulator


@pytest.fixture
def odoo_emulator() -> Iterator[EmulatorHandle]:
    """An Odoo 17.0 emulator (XML-RPC / JSON-RPC), seeded like a fresh database."""
    with start_emulator() as handle:
        yield handle


@pytest.fixture
def odoo19_emulator() -> Iterator[EmulatorHandle]:
    """An Odoo 19.0 emulator: JSON-2 as well as the deprecated RPC endpoints."""
    with start_emulator(version="19.0") as handle:
        yield handle
