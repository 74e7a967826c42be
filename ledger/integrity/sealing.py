"""The ledger's own signatures: one seal per committed batch, the ledger key history, and
the record of each signed checkpoint of its log (ledger/transparency/checkpoint.py).

Measured here (see README): signing each event costs ~50 µs per event on the write path
and doubles the signature checks an audit must make; one Ed25519 signature over the list
of a batch's event hashes costs the same ~50 µs per *batch*. So each transaction ends with
a ``BatchSealed`` event listing the hashes of every event in it, signed by the ledger key.
Seals form a chain per writer lane (embedded process, or Kafka partition), so a writer
that lost its lane to another (a zombie after a rebalance) collides and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.domain.events import DomainEvent, event
from ledger.integrity.canonical import canonical_bytes


@event
@dataclass(frozen=True)
class BatchSealed(DomainEvent):
    lane: str
    events: tuple[str, ...]  # sha256 hex of each stored event of the batch, in order
    key_id: str
    signature: str  # base64 signature over seal_message(...)


@event
@dataclass(frozen=True)
class LedgerKeyRegistered(DomainEvent):
    key_id: str
    algorithm: str
    public_key: str
    registered_at: str
    # On rotation the previous ledger key endorses the new one; the first key has none.
    endorsed_by: str | None
    endorsement: str | None


@event
@dataclass(frozen=True)
class LedgerKeyRetired(DomainEvent):
    key_id: str
    retired_at: str


def seal_message(lane: str, version: int, prev: str | None, hashes: list[str],
                 key_id: str, at: str) -> bytes:
    """The bytes a seal signs: its place in the lane chain, its time and the batch's hashes.

    The time is signed because nothing after the last seal of a lane hashes it.
    """
    body: dict[str, Any] = {
        "at": at, "events": hashes, "key_id": key_id, "lane": lane, "prev": prev,
        "version": version,
    }
    return canonical_bytes(body)


def endorsement_message(key_id: str, public_key: str) -> bytes:
    return canonical_bytes({"endorse": {"key_id": key_id, "public_key": public_key}})


@event
@dataclass(frozen=True)
class CheckpointPublished(DomainEvent):
    """The ledger signed a checkpoint of its own log (it becomes a later leaf itself)."""

    origin: str
    size: int
    root: str  # base64
    time: str
    key_id: str
    key_hash: str  # hex of the signed-note key hash (4 bytes)
    signature: str  # base64, over the note body
