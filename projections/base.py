"""What a read model is: tables, the event types it reads, and how it applies one."""

from __future__ import annotations

from typing import ClassVar, Protocol

from ledger.mapper import Record
from projections.db import ProjectionDB


class Projection(Protocol):
    """A read model built only from the event log; rebuildable from zero.

    ``schema_version`` changes when the tables or the meaning of rows change; the runner
    then rebuilds that projection from the start of the log.
    """

    name: ClassVar[str]
    schema_version: ClassVar[int]
    tables: ClassVar[dict[str, str]]  # table name -> CREATE TABLE statement (portable SQL)
    indexes: ClassVar[tuple[str, ...]]
    topics: ClassVar[frozenset[str]]  # event types it reads

    def apply(self, db: ProjectionDB, record: Record) -> None: ...
