"""Deterministic stream ids (uuid5), so uniqueness is enforced by the store itself.

Two writers that try to create the same catalogue entry, licence, licence number or
command receipt collide on (stream id, version 1) and one of them is refused.
"""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID, uuid5

NAMESPACE = UUID("6f1d3c52-7a0e-5b8e-9d43-2c1a7e5f0b91")


@lru_cache(maxsize=65536)  # uuid5 costs ~15 µs; a batch asks for the same ids repeatedly
def _sid(kind: str, key: str) -> UUID:
    return uuid5(NAMESPACE, f"{kind}:{key}")


def registry_stream() -> UUID:
    """The ledger-wide stream that records genesis (the first management department)."""
    return _sid("registry", "ledger")


def ledger_keys_stream() -> UUID:
    return _sid("ledger-keys", "ledger")


def department_stream(code: str) -> UUID:
    return _sid("department", code)


def catalogue_stream(type_code: str) -> UUID:
    return _sid("catalogue", type_code)


def licence_stream(type_code: str, issuer_code: str, serial: str) -> UUID:
    """One stream per licence lineage: all its versions share type, issuer and serial."""
    return _sid("licence", f"{type_code}.{issuer_code}.{serial}")


def licence_number_stream(type_code: str, number: str) -> UUID:
    return _sid("licence-number", f"{type_code}:{number}")


def holder_slot_stream(type_code: str, code_type: str, code: str) -> UUID:
    return _sid("holder-slot", f"{type_code}:{code_type}:{code}")


def receipt_stream(command_id: str) -> UUID:
    return _sid("command", command_id)


def seal_stream(lane: str) -> UUID:
    return _sid("seal", lane)


def grant_stream(grant_id: str) -> UUID:
    return _sid("grant", grant_id)


def access_stream(command_id: str) -> UUID:
    """Each read has a stream of its own, so licence streams stay short."""
    return _sid("access", command_id)


def usage_counter_stream(grant_id: str, day: str) -> UUID:
    return _sid("usage", f"{grant_id}:{day}")


def correction_stream(correction_id: str) -> UUID:
    return _sid("correction", correction_id)


def paper_count_stream(department: str, type_code: str, period: str) -> UUID:
    return _sid("paper-count", f"{department}:{type_code}:{period}")


def case_count_stream(department: str, matter_code: str, type_code: str, period: str) -> UUID:
    return _sid("case-count", f"{department}:{matter_code}:{type_code}:{period}")


def bulk_request_stream(request_id: str) -> UUID:
    return _sid("bulk-request", request_id)


def checkpoint_stream() -> UUID:
    """The stream of the transparency log's signed checkpoints (``CheckpointPublished``)."""
    return _sid("checkpoints", "ledger")
