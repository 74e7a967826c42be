"""What the ledger writes by itself, signed by its own key and by no department.

Key rotation (:meth:`ledger.store.application.Ledger.key_rotation`) and checkpoints
(:meth:`ledger.transparency.log.TransparencyLog.prepare_checkpoint`) only prepare their
events as an :class:`OwnWrite`; the bus appends them in a batch of their own, sealed and
committed like a batch of commands (commands/bus/own_writes.py). They have no signed
command behind them, so no receipt and no cause; the replay copies them verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from ledger.domain.events import DomainEvent

T = TypeVar("T")


@dataclass(frozen=True)
class OwnWrite(Generic[T]):
    """``events`` to append, in order, on the seal lane ``lane`` (``None``: the ledger's
    own lane), and the ``answer`` once they are committed. With no events there is
    nothing to write and the answer stands as it is."""

    answer: T
    events: tuple[tuple[UUID, DomainEvent], ...] = ()
    lane: str | None = None
