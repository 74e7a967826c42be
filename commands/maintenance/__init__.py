"""Maintenance: backup and restore of a ledger, checked before it is trusted."""
