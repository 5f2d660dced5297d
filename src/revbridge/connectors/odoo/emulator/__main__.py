"""``python -m revbridge.connectors.odoo.emulator --port 8069``."""

from __future__ import annotations

import sys

from revbridge.connectors.odoo.emulator.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
