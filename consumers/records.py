"""Consumed records as plain values, and the names that tie a partition to the ledger.

A partition's position lives in the ledger database as an eventsourcing tracking
record named ``"<topic>:<partition>"`` whose id is the offset of the last record
applied; the partition writes its batches on the seal lane ``"kafka:<topic>:<partition>"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.store.event_store import Tracking


@dataclass(frozen=True)
class Incoming:
    """One consumed record, independent of the Kafka client that fetched it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int  # milliseconds since the epoch (CreateTime); -1 when the broker has none
    headers: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def of(cls, record: Any) -> Incoming:
        """Copy a kafka-python ``ConsumerRecord``."""
        headers = tuple((str(k), bytes(v or b"")) for k, v in (record.headers or ()))
        return cls(record.topic, record.partition, record.offset, record.key, record.value,
                   int(record.timestamp if record.timestamp is not None else -1), headers)


def group_by_partition(records: Iterable[Incoming]) -> dict[tuple[str, int], list[Incoming]]:
    """Records per (topic, partition), each list in offset order, duplicates dropped.

    A client may hand back overlapping fetches after a seek; the ledger must see each
    offset once per batch and in order, or the batch's tracking id would be wrong.
    """
    grouped: dict[tuple[str, int], dict[int, Incoming]] = {}
    for record in records:
        grouped.setdefault((record.topic, record.partition), {})[record.offset] = record
    return {tp: [by_offset[o] for o in sorted(by_offset)] for tp, by_offset in grouped.items()}


def tracking_name(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


def lane_name(topic: str, partition: int) -> str:
    return f"kafka:{topic}:{partition}"


def tracking_for(batch: Sequence[Incoming]) -> Tracking:
    """The position a batch leaves behind: the offset of its last record."""
    last = batch[-1]
    return Tracking(tracking_name(last.topic, last.partition), last.offset)


class Positions(Protocol):
    """The positions stored in the ledger database (:meth:`EventStore.position`)."""

    def position(self, name: str) -> int | None: ...


def stored_position(store: Positions, topic: str, partition: int) -> int:
    """The next offset to apply, from the database (never from Kafka's committed offset).
    A database that cannot answer raises :class:`ledger.errors.StoreUnavailable`."""
    last = store.position(tracking_name(topic, partition))
    return 0 if last is None else last + 1


@dataclass(frozen=True)
class Outgoing:
    """A record to publish (a result or a dead letter)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()
