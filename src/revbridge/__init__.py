"""revbridge: the usage-to-cash bridge for SaaS companies that keep their books in Odoo."""

from __future__ import annotations

__version__ = "0.1.0"
