"""``python -m revbridge`` runs the command line."""

from __future__ import annotations

from revbridge.cli.main import run

if __name__ == "__main__":  # not when a worker process (spawn) imports this module again
    run()
