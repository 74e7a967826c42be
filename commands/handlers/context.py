"""What a handler works with: the batch's unit of work and the authenticated command.

A handler may use nothing else: its streams' state (through ``get``), the signed command
and the batch's recorded instant (``now``/``at``, stored as every event's ``at``). That is
what makes it a deterministic function the replay (``ledger audit --replay``) can run
again and compare byte for byte; see docs/integrity.md, "Replay".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from commands.signed.envelope import SignedCommand
from ledger.domain.departments import Department
from ledger.domain.events import DomainEvent
from ledger.integrity.canonical import format_instant
from ledger.store.application import Fold, UnitOfWork

S = TypeVar("S")


@dataclass
class Context:
    uow: UnitOfWork
    signed: SignedCommand
    actor: Department
    now: datetime
    events: list[tuple[str, int]] = field(default_factory=list)
    answer: dict[str, Any] | None = None  # what a read returns to the caller

    def emit(self, stream: UUID, fold: Fold, evt: DomainEvent) -> None:
        self.events.append(self.uow.emit(stream, fold, evt, self.signed.cause))

    @property
    def at(self) -> str:
        """When the ledger records this command (its clock, not the sender's): the batch's
        instant, which ``now`` parses to exactly (microseconds), recorded in every event."""
        return self.uow.at

    @property
    def signed_at(self) -> str:
        """When the sender signed the command, normalised to the ledger's instant form."""
        return format_instant(self.signed.issued_at)

    def get(self, stream: UUID, fold: Fold) -> Any:
        return self.uow.get(stream, fold)
