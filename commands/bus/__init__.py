"""The command bus: decode ▸ authenticate ▸ authorise ▸ handle ▸ save with position; and
the ledger's own writes (key rotation, checkpoints) through the same save."""
