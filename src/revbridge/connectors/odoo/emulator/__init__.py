"""An Odoo emulator: a test double of Odoo's external API served over real HTTP.

It answers ``/xmlrpc/2/{common,object,db}``, ``/jsonrpc``, ``/web/version`` and, in 19.0
mode, ``/json/2/<model>/<method>``, for the models revbridge syncs (partners, products,
taxes, invoices, credit notes, payments, journal entries), as the recordings in
``tests/connectors/odoo/scenarios`` show a real Odoo 17.0 / 19.0 answers. Tests start it
with :func:`start_emulator` and steer it (failures, credentials, clock) through the
returned :class:`EmulatorHandle`; ``python -m revbridge.connectors.odoo.emulator`` serves
it until interrupted.
"""

from __future__ import annotations

from revbridge.connectors.odoo.emulator.cli import main
from revbridge.connectors.odoo.emulator.clock import Clock
from revbridge.connectors.odoo.emulator.core import CallRecord, Emulator
from revbridge.connectors.odoo.emulator.handle import EmulatorHandle, start_emulator

__all__ = ["CallRecord", "Clock", "Emulator", "EmulatorHandle", "main", "start_emulator"]
