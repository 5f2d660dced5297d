"""The emulator answers like the real servers: every recorded scenario replays clean.

Each scenario file runs against a fresh emulator (17.0 for the 0x-2x files, 19.0 for the
3x files), so ``setup_for_rerun`` is not needed; record ids still differ from the
recording and are masked by each step's ``varies``. ``pause_before_s`` advances the
emulator clock instead of sleeping.
"""

from __future__ import annotations

from typing import Any

import pytest

from revbridge.connectors.odoo.emulator import EmulatorHandle, start_emulator
from tests.connectors.odoo.replay import SCENARIOS, STAMP, Client, Replay, load

FILES = sorted(SCENARIOS.glob("*.json"))


def _version(doc: dict[str, Any]) -> str:
    return "19.0" if str(doc["odoo_version"]).startswith("19") else "17.0"


def _replay(handle: EmulatorHandle, doc: dict[str, Any]) -> Replay:
    client = Client(handle.url)
    uid = client.xmlrpc("common", "authenticate", [handle.db, "admin", "admin", {}])["result"]
    env = {
        "$DB": handle.db,
        "$UID": uid,
        "$PASSWORD": "admin",
        "$APIKEY": handle.create_api_key(name="contract"),
        "$STAMP": STAMP,
    }
    replay = Replay(client, env, pause=handle.clock.advance)
    if doc["title"].startswith("Odoo 19: /xmlrpc/2"):
        _prepare_xmlrpc_on_19(handle, replay)
    replay.run(doc)
    return replay


def _prepare_xmlrpc_on_19(handle: EmulatorHandle, replay: Replay) -> None:
    """31's preconditions: the recorder made a partner and a draft invoice beforehand,
    and its "user_error" step posts a new invoice without lines (id not kept)."""
    partner = handle.execute("res.partner", "create", {"name": f"XMLRPC-19 {STAMP}"})
    invoice = handle.execute(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "partner_id": partner,
            "invoice_date": "2026-11-20",
            "invoice_line_ids": [
                [
                    0,
                    0,
                    {
                        "name": "Micro",
                        "quantity": 12350,
                        "price_unit": 0.0015,
                        "tax_ids": [[6, 0, []]],
                    },
                ],
                [0, 0, {"name": "Ten", "quantity": 1, "price_unit": 10.0, "tax_ids": [[6, 0, []]]}],
            ],
        },
    )
    empty = handle.execute(
        "account.move", "create", {"move_type": "out_invoice", "partner_id": partner}
    )
    replay.results.update(create_partner=partner, create_invoice=invoice)
    replay.env["<a new out_invoice without lines>"] = empty


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_replays_without_difference(path: Any) -> None:
    doc = load(path)
    with start_emulator(version=_version(doc)) as handle:
        replay = _replay(handle, doc)
    assert replay.steps == len(doc["steps"])
    assert not replay.differences, "\n".join(replay.differences)
