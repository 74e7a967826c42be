"""Where the read models live, and which ledger they were built from.

On PostgreSQL the read models (and the transparency log's leaf table) live beside the
events, in tables of their own: readers and writers do not block each other there. On
SQLite a database file has one write lock: a read-model page held it while the service's
writer waited to commit a batch of commands, in SQLite's busy handler, which sleeps 1, 2,
5, 10 ms at a time instead of waking when the lock is free (docs/benchmarks.md, "Read
models in a file of their own"). So on SQLite they live in a file of their own beside the
ledger's, ``FILE-read`` (as SQLite's own ``FILE-wal`` and ``FILE-shm``): catching up only
reads the ledger's file, which never waits for a writer in WAL mode.

Two files can part: a ledger deleted and started again, or put back by hand from a copy,
beside read models of the old one. Those would answer ``ledger show``, the wallet and the
public register with licences this ledger never held, and look up to date; the leaf table
would make ``ledger audit`` report damage the ledger does not have. So the read database
records which ledger it was built from (the hash of the ledger's first stored event) and
:class:`ReadSource` compares before anything is read or applied:

- read models of *another* ledger are dropped with its leaf table, and built again from
  this one (they are derived: nothing is lost);
- read models *ahead* of this ledger's last event (same first event) are dropped and built
  again, but the leaf table stays: this is what a tail cut looks like (an insider deleting
  the newest events), and the leaves of the cut events are its evidence. Proofs and
  checkpoints then refuse (``log_mismatch``) until ``ledger audit`` has been read; a ledger
  put back by hand from an older copy shows the same, which is why ``ledger restore``
  deletes the read file outright.

A copy of this ledger that forked later is beyond this check: restore with ``ledger restore``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ledger.store.event_store import EventStore
from ledger.store.sql import ProjectionDB

log = logging.getLogger("ledger.projections")
SUFFIX = "-read"
SOURCE_DDL = ("CREATE TABLE IF NOT EXISTS read_model_source (name TEXT PRIMARY KEY,"
              " value TEXT NOT NULL)")


def read_models_url(database_url: str) -> str:
    """The read models' database: for ``sqlite:///FILE`` the file ``FILE-read``; for an
    in-memory SQLite ledger or PostgreSQL, the ledger's own URL (an in-memory database is
    private to its connection already)."""
    parts = urlsplit(database_url)
    if parts.scheme != "sqlite" or parts.path.endswith(":memory:"):
        return database_url
    # By hand: urlunsplit would drop the empty host ("sqlite:///x" -> "sqlite:/x").
    path, query = database_url.partition("?")[::2]
    return f"{path}{SUFFIX}?{query}" if query else f"{path}{SUFFIX}"


def own_file(database_url: str) -> Path | None:
    """The read models' own SQLite file for the ledger at ``database_url``, or None where
    they share the ledger's database."""
    url = read_models_url(database_url)
    if url == database_url:
        return None
    return Path(unquote(urlsplit(url).path)[1:])


def read_models_files(ledger_path: Path) -> list[Path]:
    """The SQLite files holding the read models of the ledger at ``ledger_path``."""
    return [Path(f"{ledger_path}{SUFFIX}{suffix}") for suffix in ("", "-wal", "-shm")]


def first_event_hash(store: EventStore) -> str | None:
    """The SHA-256 of the ledger's first stored event (its identity), or None if empty."""
    rows = store.recorder.select_notifications(1, 1)
    return hashlib.sha256(bytes(rows[0].state)).hexdigest() if rows else None


class ReadSource:
    """Checks that the read database was built from ``store`` (see the module's text).

    ``read_models`` are the projections' tables (with their positions), dropped when the
    read models belong to another ledger or are ahead of it; ``leaves`` is the transparency
    log's leaf table, dropped only with another ledger's. Only used where the read database
    is not the ledger's own (SQLite): on PostgreSQL both are restored and dropped together.
    """

    def __init__(self, store: EventStore, db: ProjectionDB, read_models: Sequence[str],
                 leaves: str) -> None:
        self.store = store
        self.db = db
        self.read_models = list(read_models)
        self.leaves = leaves
        self._recorded = False

    def check(self) -> bool:
        """Compare (once the ledger has an event; a cached no-op afterwards); True when
        read models were dropped (their tables must be created again)."""
        if self._recorded:
            return False
        with self.db.transaction():
            self.db.execute(SOURCE_DDL)
            rows = self.db.query("SELECT value FROM read_model_source WHERE name = 'ledger'")
            positions = self._positions()  # before the head: the head only grows
            first = first_event_hash(self.store)
            head = self.store.max_notification_id()
            recorded = str(rows[0][0]) if rows else None
            # Unrecorded with positions: built by a process that never saw the first
            # event, which cannot be (the first catch-up with events records it).
            foreign = recorded != first if recorded is not None else any(positions)
            ahead = max(positions, default=0) > head
            if foreign:
                log.warning("the read models (%s) were built from another ledger: dropping"
                            " them and their leaf table; they are built again from this"
                            " ledger", self.db.url)
                self._drop([*self.read_models, self.leaves])
                self.db.execute("DELETE FROM read_model_source")
            elif ahead:
                log.warning("the read models (%s) are ahead of this ledger (at event %d,"
                            " the ledger ends at %d): events were removed since they were"
                            " built, by a tail cut or a copy put back by hand (run `ledger"
                            " audit`); building them again, keeping the leaf table as"
                            " evidence", self.db.url, max(positions), head)
                self._drop(self.read_models)
            if first is not None:
                self.db.execute("INSERT INTO read_model_source (name, value) VALUES"
                                " ('ledger', ?) ON CONFLICT (name) DO UPDATE SET"
                                " value = excluded.value", [first])
                self._recorded = True
        return foreign or ahead

    def _drop(self, tables: Sequence[str]) -> None:
        for table in tables:
            self.db.execute(f"DROP TABLE IF EXISTS {table}")

    def _positions(self) -> list[int]:
        if not self.db.table_exists("projection_positions"):
            return []
        return [int(p) for (p,) in self.db.query("SELECT position FROM projection_positions")]
