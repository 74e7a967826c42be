"""Integrity: canonical bytes, keys and signatures, the event mapper, seals, receipts, the audit.

The mapper signs and hashes each event as it is stored; the audit re-checks all of it.
Everything an auditor needs to prove that history was never rewritten lives here, once.
"""
