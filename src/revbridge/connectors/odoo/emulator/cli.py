"""Serve a seeded emulator from the command line until interrupted.

Why a plain ``main(argv)``: the project's CLI wires ``revbridge odoo emulate`` to it, and
``python -m revbridge.connectors.odoo.emulator`` runs it without the CLI.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Sequence

from revbridge.connectors.odoo.emulator.handle import start_emulator
from revbridge.connectors.odoo.emulator.profiles import PROFILES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m revbridge.connectors.odoo.emulator",
        description="Serve an in-memory Odoo emulator.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8069, help="0 picks a free port")
    parser.add_argument("--db", default="odoo_test")
    parser.add_argument("--password", default="admin", help="admin password")
    parser.add_argument(
        "--version",
        dest="odoo_version",
        default="17.0",
        choices=sorted(PROFILES),
        help="Odoo release to emulate",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        help="register this API key for admin (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or until ``stop`` is set, for embedding)."""
    args = build_parser().parse_args(argv)
    handle = start_emulator(
        args.port,
        host=args.host,
        version=args.odoo_version,
        db=args.db,
        admin_password=args.password,
    )
    for key in args.api_key:
        handle.emulator.credentials.add_api_key(2, "cli", key=key)
    print(
        f"Odoo {handle.version} emulator on {handle.url} (db {handle.db!r}, "
        f"login admin / {args.password!r})",
        flush=True,
    )
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0
