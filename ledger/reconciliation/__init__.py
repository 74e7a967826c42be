"""Reconciliation (Art. 31): counts departments report, checked against the ledger."""
