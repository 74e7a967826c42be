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
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from ledger.store.event_store import EventStore, sqlite_path
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


def sqlite_file(url: str) -> Path | None:
    """The file of an ``sqlite:///FILE`` URL (percent-escapes decoded, as every connection
    to it decodes them), or None for PostgreSQL and in-memory SQLite."""
    path = sqlite_path(url)
    return None if path is None or path == ":memory:" else Path(path)


def own_file(database_url: str) -> Path | None:
    """The read models' own SQLite file for the ledger at ``database_url``, or None where
    they share the ledger's database."""
    return sqlite_file(read_models_url(database_url))


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
    log's leaf table (``leaves_ddl`` creates it), dropped only with another ledger's. Only
    used where the read database is not the ledger's own (SQLite); ``ledger_file`` is the
    ledger's file, whose leaf table a ledger written before the split still holds.
    """

    def __init__(self, store: EventStore, db: ProjectionDB, read_models: Sequence[str],
                 leaves: str, leaves_ddl: str, ledger_file: Path) -> None:
        self.store = store
        self.db = db
        self.read_models = list(read_models)
        self.leaves, self.leaves_ddl = leaves, leaves_ddl
        self.ledger_file = ledger_file
        self._recorded = False

    def verdict(self) -> str | None:
        """Without writing anything: "another" (built from another ledger), "ahead" (ahead
        of this ledger's last event: events were removed since), or None (this ledger's,
        or nothing to tell yet). For ``ledger audit``, which must not change what it
        judges."""
        return self._judge()[0]

    def _judge(self) -> tuple[str | None, str | None]:
        """The verdict, and the hash of the ledger's first event it was judged against."""
        recorded = self._recorded_source() if self.db.table_exists("read_model_source") \
            else None
        positions = self._positions()  # before the head: the head only grows
        first = first_event_hash(self.store)
        if recorded is not None and recorded != first:
            return "another", first
        if max(positions, default=0) > self.store.max_notification_id():
            return "ahead", first
        return None, first

    def check(self) -> bool:
        """Compare and mend (once the ledger has an event; a cached no-op afterwards);
        True when read models were dropped (their tables must be created again)."""
        if self._recorded:
            return False
        self._adopt_old_leaves()
        with self.db.transaction():
            self.db.execute(SOURCE_DDL)
            verdict, first = self._judge()
            if verdict == "another":
                log.warning("the read models (%s) were built from another ledger: dropping"
                            " them and their leaf table; they are built again from this"
                            " ledger", self.db.url)
                self._drop([*self.read_models, self.leaves])
                self.db.execute("DELETE FROM read_model_source")
            elif verdict == "ahead":
                log.warning("the read models (%s) are ahead of this ledger: events were"
                            " removed since they were built, by a tail cut or a copy put"
                            " back by hand (run `ledger audit`); building them again,"
                            " keeping the leaf table as evidence", self.db.url)
                self._drop(self.read_models)
            # Unrecorded read models with positions are this ledger's too: another process
            # may have applied its first events between this check and the head it read.
            if first is not None:
                self.db.execute("INSERT INTO read_model_source (name, value) VALUES"
                                " ('ledger', ?) ON CONFLICT (name) DO UPDATE SET"
                                " value = excluded.value", [first])
                self._recorded = True
        return verdict is not None

    def _adopt_old_leaves(self) -> None:
        """A ledger written before the split keeps its leaf table in its own file: the
        leaves of events since cut off are evidence, so a new read file starts from them
        (the leaf table checks them against the events before any use)."""
        if self.db.table_exists(self.leaves) or self.db.table_exists("read_model_source"):
            return  # not a new read file
        if not self.ledger_file.exists():
            return
        self.db.execute("ATTACH DATABASE ? AS old_ledger", [str(self.ledger_file)])
        try:
            with self.db.transaction():
                if self.db.query("SELECT 1 FROM old_ledger.sqlite_master WHERE type ="
                                 " 'table' AND name = ?", [self.leaves]):
                    self.db.create_table(self.leaves_ddl)
                    self.db.execute(f"INSERT OR IGNORE INTO main.{self.leaves} SELECT *"
                                    f" FROM old_ledger.{self.leaves}")
        except sqlite3.Error as exc:  # a table of another shape: built from the events
            log.warning("the leaf table in %s was not carried over (%s): it is built again"
                        " from the events", self.ledger_file, exc)
        finally:
            self.db.execute("DETACH DATABASE old_ledger")

    def _recorded_source(self) -> str | None:
        rows = self.db.query("SELECT value FROM read_model_source WHERE name = 'ledger'")
        return str(rows[0][0]) if rows else None

    def _drop(self, tables: Sequence[str]) -> None:
        for table in tables:
            self.db.execute(f"DROP TABLE IF EXISTS {table}")

    def _positions(self) -> list[int]:
        if not self.db.table_exists("projection_positions"):
            return []
        return [int(p) for (p,) in self.db.query("SELECT position FROM projection_positions")]
