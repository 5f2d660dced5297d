"""The local double-entry ledger: the embedded ERP sink, and the books reconciliation reads."""
