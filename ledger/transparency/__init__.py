"""Transparency: the RFC 6962 Merkle tree over stored events, signed checkpoints, proofs."""
