"""State folded from the stored events themselves, never from a cache.

The service's own ledger caches what its writer wrote; with Kafka the consumers write in
other processes, so what the public, the pages and the door of verify-file must see as it
is now (a status, a department's roles or keys) is read from the store each time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from commands.bootstrap import Services
from ledger.domain import streams
from ledger.domain.departments import Department, apply_department
from ledger.domain.events import DomainEvent

S = TypeVar("S")


def fold_stream(services: Services, stream: UUID, fold: Callable[[S | None, DomainEvent], S]
                ) -> S | None:
    """``fold`` over every stored event of ``stream``; None for a stream with none."""
    state: S | None = None
    for record in services.store.read_stream(stream):
        state = fold(state, record.event())
    return state


def get_department(services: Services, code: str) -> Department | None:
    """The department ``code`` as stored now (None if never registered)."""
    return fold_stream(services, streams.department_stream(code), apply_department)
