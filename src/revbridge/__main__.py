"""``python -m revbridge`` runs the command line."""

from __future__ import annotations

from revbridge.cli.main import run

run()
