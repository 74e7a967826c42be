"""The ledger: the pure domain, the integrity of what is stored, and the event store.

One concept per folder: ``domain`` (licences, departments, catalogue, use, the rules of
the regulation; pure), ``integrity`` (canonical bytes, signatures, seals, receipts, the
audit), ``transparency`` (Merkle tree, checkpoints, proofs), ``archive`` (BagIt export and
its offline check), ``reconciliation`` (counts against the ledger), ``stock`` (checking
historical data), ``store`` (persistence), and ``errors`` (the one error hierarchy).
See docs/architecture.md.
"""
