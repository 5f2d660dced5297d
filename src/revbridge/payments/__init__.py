"""Payments, refunds and credit notes applied to invoices: what a customer still owes."""
