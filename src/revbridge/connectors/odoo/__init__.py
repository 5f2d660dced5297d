"""Odoo connector: syncs invoices, credit notes, payments and journal entries into Odoo."""
