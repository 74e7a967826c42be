"""The composition root: the only place that builds infrastructure.

Entry points (the CLI, the Kafka consumer, tests) call :func:`bootstrap` and get the
services wired for the configured database; nothing connects at import time.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commands.bus import own_writes
from commands.bus.pipeline import MessageBus
from commands.settings import Settings
from ledger.integrity.signing import SigningKey, load_signing_key, save_signing_key
from ledger.store.application import Ledger
from ledger.store.event_store import EventStore
from ledger.store.read_database import ReadSource, sqlite_file
from ledger.store.sql import ProjectionDB
from ledger.transparency import log as transparency
from ledger.transparency.checkpoint import Checkpoint
from ledger.transparency.log import TransparencyLog
from ledger.transparency.proofs import Prove, proof_at
from projections.engine.runner import ProjectionRunner
from projections.registry import all_projections


@dataclass
class Services:
    settings: Settings
    store: EventStore
    ledger: Ledger
    bus: MessageBus
    read_db: ProjectionDB
    projections: ProjectionRunner

    @functools.cached_property
    def state_db(self) -> ProjectionDB:
        """The service's small tables that no event rebuilds (single-use download
        references, ended sessions): in the ledger's own database, never beside the read
        models, which may be dropped and built again (ledger/store/read_database.py)."""
        if self.settings.read_models_url == self.settings.database_url:
            return self.read_db
        return ProjectionDB(self.settings.database_url)

    def transparency_log(self) -> TransparencyLog:
        """The transparency log of this store, with its leaf table in the read database."""
        if self.projections.source is not None:
            self.projections.source.check()
        return TransparencyLog(self.store, self.read_db)

    def proof(self, size: int | None, leaves: int | None, prove: Prove) -> dict[str, Any]:
        """The JSON of ``ledger proof … --json`` and of the HTTP proof routes alike."""
        return proof_at(self.transparency_log(), self.publish_checkpoint, size, leaves, prove)

    def publish_checkpoint(self, log: TransparencyLog, at: str) -> tuple[Checkpoint, bool]:
        """Publish a checkpoint of ``log`` through the bus (the ``Publish`` the archive
        export, the proofs and the sharing service are given); see
        commands/bus/own_writes.py."""
        return own_writes.publish_checkpoint(self.bus, log, at)

    def rotate_ledger_key(self, previous: SigningKey, at: str) -> str:
        """Rotate the ledger's key from ``previous`` to the configured one, through the bus."""
        return own_writes.rotate_ledger_key(self.bus, previous, at)

    def close(self) -> None:
        if self.__dict__.get("state_db", self.read_db) is not self.read_db:
            self.state_db.close()
        self.read_db.close()
        self.store.close()

    def dry_run_bus(self) -> MessageBus:
        """A bus over the same database whose appends write nothing, with this ledger's
        key, lane and clock: it answers commands as they would be answered now, and can
        never apply one (consumers.results.DryRun)."""
        ledger = Ledger(self.store.read_only(), self.ledger.signer, self.ledger.lane)
        return MessageBus(ledger, clock=self.bus.clock)


def read_source(settings: Settings, store: EventStore, db: ProjectionDB
                ) -> ReadSource | None:
    """Where the read models have a database of their own (SQLite), the check that they
    were built from this ledger (ledger/store/read_database.py); else None."""
    ledger_file = sqlite_file(settings.database_url)
    if ledger_file is None:  # PostgreSQL or in memory: one database for both
        return None
    tables = [t for p in all_projections() for t in p.tables]
    return ReadSource(store, db, [*tables, "projection_positions"], transparency.LEAVES_TABLE,
                      transparency.LEAVES_DDL, ledger_file)


def ledger_signing_key(settings: Settings) -> SigningKey:
    """Load the ledger's key, creating it (mode 0600) on first use."""
    if not settings.key_file.exists():
        # Another process starting at the same instant may write it first: then use theirs.
        with contextlib.suppress(FileExistsError):
            save_signing_key(SigningKey.generate(), settings.key_file)
    return load_signing_key(settings.key_file)


def tune_garbage_collector() -> None:
    """Collect young objects every 20,000 allocations instead of 700.

    A writer keeps up to ``LEDGER_CACHE_SIZE`` stream states alive, and with the default
    thresholds Python's full collections walked that cache every few hundred commands:
    28 of 215 µs of CPU per command at 10,000 licences, growing with the cache. Handling
    a command makes little cyclic garbage, so collecting less often only delays it.
    """
    gc.set_threshold(20_000, 10, 10)


def open_store(settings: Settings) -> EventStore:
    return EventStore(settings.database_url)


def bootstrap(
    settings: Settings,
    *,
    lane: str | None = None,
    clock: Callable[[], datetime] | None = None,
    after_commit: Callable[[list[int]], None] | None = None,
    signer: SigningKey | None = None,
) -> Services:
    tune_garbage_collector()
    store = open_store(settings)
    ledger = Ledger(store, signer or ledger_signing_key(settings), lane or settings.lane,
                    cache_size=settings.cache_size, insert_chunk=settings.insert_chunk)
    read_db = ProjectionDB(settings.read_models_url)
    source = read_source(settings, store, read_db)
    if source is not None:
        source.check()  # before anything reads them: the archive export, the proofs
    runner = ProjectionRunner(store, read_db, all_projections(), source)
    if after_commit is None and settings.inline_projections:
        # Embedded mode: read models are brought up to date right after each batch.
        def after_commit(_ids: list[int]) -> None:
            runner.catch_up()
    bus = MessageBus(ledger, clock=clock, after_commit=after_commit)
    return Services(settings, store, ledger, bus, read_db, runner)
