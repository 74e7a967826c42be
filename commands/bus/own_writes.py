"""The ledger's own writes, through the bus: key rotation and checkpoints.

Some events are signed by the ledger's key and by no department: the registration of a
new ledger key with the retirement of the old one, and a signed checkpoint of the
transparency log. No department signs them, so they are not commands (the wire format
and who must sign what stay as they are) and they have no receipt and no cause; the
replay copies them verbatim (commands/replay/run.py, ``LEDGER_OWN``).

They still take the bus's way to the store: the ledger only prepares them
(:class:`~ledger.store.own_write.OwnWrite`: ``Ledger.key_rotation``,
``TransparencyLog.prepare_checkpoint``) and this stage appends them to a batch of their
own on their seal lane, saved by the bus's ``save_with_position``: hash-chained, sealed
and committed in one transaction, or nothing (a database outage is raised, and nothing
of the write is stored). If another writer got there first, the write is prepared again
against the fresh state, as the bus retries a batch of commands. No read model follows
these events, so ``after_commit`` is not called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from commands.bus.conflicts import commit_retrying
from commands.bus.pipeline import MessageBus
from ledger.domain.events import DomainEvent
from ledger.integrity.signing import SigningKey
from ledger.store.application import UnitOfWork
from ledger.store.own_write import OwnWrite
from ledger.transparency.checkpoint import Checkpoint
from ledger.transparency.log import TransparencyLog

T = TypeVar("T")


def write_own(bus: MessageBus, prepare: Callable[[], OwnWrite[T]], at: str) -> T:
    """Prepare the ledger's own write and commit it as one sealed batch at ``at``;
    returns its answer (prepared again on a conflict: commands/bus/conflicts.py)."""
    def batch() -> tuple[OwnWrite[T], UnitOfWork | None]:
        prepared = prepare()
        if not prepared.events:
            return prepared, None
        uow = bus.ledger.begin(at, prepared.lane)
        for stream, evt in prepared.events:
            uow.emit(stream, _latest, evt, None)
        return prepared, uow

    def commit(written: tuple[OwnWrite[T], UnitOfWork | None]) -> T:
        prepared, uow = written
        if uow is not None:
            bus.save_with_position(uow, None)
        return prepared.answer

    return commit_retrying(batch, commit, "the ledger's own write")


def rotate_ledger_key(bus: MessageBus, previous: SigningKey, at: str) -> str:
    """Rotate the ledger's key from ``previous`` to the bus's ledger's key; returns the
    new key's id."""
    return write_own(bus, lambda: bus.ledger.key_rotation(previous, at), at)


def publish_checkpoint(bus: MessageBus, transparency: TransparencyLog,
                       at: str) -> tuple[Checkpoint, bool]:
    """Sign and record a checkpoint of the whole log unless nothing but checkpoints were
    added since the latest. Returns (checkpoint, whether it is new)."""
    return write_own(bus, lambda: transparency.prepare_checkpoint(bus.ledger, at), at)


def _latest(_state: Any, evt: DomainEvent) -> DomainEvent:
    """The state of the ledger-key and checkpoint streams in a batch: their last event."""
    return evt
