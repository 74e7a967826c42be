"""Integrity: canonical bytes, signatures and keys, batch seals, command receipts, the audit.

Everything an auditor needs to prove that history was never rewritten lives here, once.
"""
