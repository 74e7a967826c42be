"""Persistence through eventsourcing: SQLite (embedded default) or PostgreSQL (psycopg 3).

The ledger uses eventsourcing's recorders as they are (tables, notification log, tracking
records, the table lock that gives PostgreSQL one global order) and its own Mapper, so
every stored row is the canonical, hash-chained :class:`~ledger.integrity.mapper.Record`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    PersistenceError,
    ProcessRecorder,
    StoredEvent,
)
from eventsourcing.persistence import Tracking as Tracking  # a position, for callers (consumers)
from psycopg.sql import SQL, Identifier

from ledger.errors import ConcurrencyError, ConfigurationError, StoreUnavailable
from ledger.integrity.mapper import LedgerMapper, Record, decode_stored, to_stored
from ledger.store.pg_probe import check_schema_name, probe
from ledger.store.pg_recorder import BinaryInsertRecorder, Replayable

# What the store raises when the database cannot be reached or used: its own translated
# error, eventsourcing's PersistenceError (wrapping the driver's), and psycopg's own (its
# pool raises them unwrapped). Callers catch these by this name, never by the driver's.
STORE_ERRORS: tuple[type[Exception], ...] = (StoreUnavailable, PersistenceError, psycopg.Error)
# The database drivers' own errors, for doors (HTTP) that answer 503 on any of them.
DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)


def sqlite_path(url: str) -> str | None:
    """The file (or ``:memory:``) an ``sqlite:///FILE`` URL names, percent-escapes decoded
    as every connection to it decodes them; None for another scheme."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        return None
    path = unquote(parts.path)
    return path[1:] if path.startswith("/") else path


def persistence_env(url: str) -> dict[str, str]:
    """Translate ``sqlite:///path`` or ``postgresql://user:pw@host:port/db?schema=s``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc or not path or path == "/":
            raise ConfigurationError(
                f"LEDGER_DATABASE_URL {url!r}: expected sqlite:///relative/path.db or"
                " sqlite:////absolute/path.db"
            )
        db = sqlite_path(url) or path
        if db != ":memory:":
            Path(db).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db,
                "SQLITE_LOCK_TIMEOUT": "30"}
    if parts.scheme in ("postgresql", "postgres"):
        dbname = parts.path.lstrip("/")
        if not dbname:
            raise ConfigurationError(
                f"LEDGER_DATABASE_URL {url!r}: no database name; expected"
                " postgresql://user@host:5432/dbname"
            )
        query = parse_qs(parts.query)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(dbname),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_POOL_SIZE": "4",
        }
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = check_schema_name(query["schema"][0])
        return env
    raise ConfigurationError(
        f"LEDGER_DATABASE_URL {url!r}: unsupported scheme {parts.scheme!r};"
        " use sqlite:///file.db or postgresql://…"
    )


class LedgerApplication(Application[UUID]):
    """eventsourcing Application whose recorder also stores tracking records."""

    name = "ledger"

    def construct_mapper(self) -> Mapper[UUID]:
        return LedgerMapper(transcoder=JSONTranscoder())

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()


class EventStore:
    """Reads and appends :class:`Record` rows; translates library errors at this edge."""

    def __init__(self, url: str, *, create_table: bool = True) -> None:
        env = persistence_env(url)
        env["CREATE_TABLE"] = "n"  # created below, on a new database only
        if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
            recorder_class = BinaryInsertRecorder
            env["PROCESS_RECORDER_TOPIC"] = f"{recorder_class.__module__}:{recorder_class.__name__}"
            probe(env, redact(url))  # named in a second or two, not after the pool's 10 s
        self.url = url
        try:
            self.app = LedgerApplication(env=env)
        except Exception as exc:  # psycopg/sqlite raise many types; all mean "cannot open"
            raise ConfigurationError(
                f"cannot open the ledger database {redact(url)}: {exc}"
            ) from None
        recorder = self.app.recorder
        assert isinstance(recorder, ProcessRecorder)
        self.recorder: ProcessRecorder = recorder
        if create_table:
            self._create_tables(url)

    def _create_tables(self, url: str) -> None:
        """Create the events and tracking tables if they do not exist (eventsourcing's
        ``create_table``, with its migrations), but never the events table alone: the two
        are made together, so an events table missing beside its tracking table was
        dropped, and making it again, empty, would hide the loss from the audit, which
        would then pass on an empty history."""
        r: Any = self.recorder
        names = [r.events_table_name, getattr(r, "tracking_table_name", None) or "tracking"]
        try:
            if url.startswith("sqlite"):
                with r.datastore.transaction(commit=False) as c:
                    c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name"
                              " IN (?, ?)", names)
                    found = {row["name"] for row in c.fetchall()}
            else:
                with r.datastore.get_connection() as conn, conn.cursor() as curs:
                    curs.execute("SELECT table_name FROM information_schema.tables WHERE"
                                 " table_schema = %s AND table_name = ANY(%s)",
                                 [r.datastore.schema, names])
                    found = {row["table_name"] for row in curs.fetchall()}
            if names[0] in found or not found:  # as before: IF NOT EXISTS, migrations
                r.create_table()
                return
        except Exception as exc:  # as opening: the drivers raise many types
            raise ConfigurationError(
                f"cannot open the ledger database {redact(url)}: {exc}") from None
        raise ConfigurationError(
            f"cannot open the ledger database {redact(url)}: its events table is missing"
            f" though its tracking table ({names[1]}) is there: the history was dropped"
            " (storage damaged). It is not made again empty; run `ledger audit`, and"
            " restore the latest backup (docs/backup.md)")

    def read_stream(self, stream: UUID) -> list[Record]:
        return [decode_stored(s) for s in self.recorder.select_events(stream)]

    def read_streams(self, ids: Sequence[UUID]) -> dict[UUID, list[Record]]:
        """Many streams in one query (a batch's worth), in version order; absent ones empty.

        eventsourcing reads one stream per query; a batch of commands touches thousands,
        so this reads them in chunks with the recorder's own table and connection.
        """
        found: dict[UUID, list[Record]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            for row in self._select_many(list(ids[start:start + 500])):
                record = decode_stored(row)
                found[record.stream].append(record)
        return found

    def _select_many(self, ids: list[UUID]) -> list[StoredEvent]:
        r: Any = self.recorder
        columns = "originator_id, originator_version, topic, state"
        if self.url.startswith("sqlite"):
            marks = ",".join("?" * len(ids))
            sql = (f"SELECT {columns} FROM {r.events_table_name} WHERE originator_id IN"
                   f" ({marks}) ORDER BY originator_id, originator_version")
            with r.datastore.transaction(commit=False) as c:
                c.execute(sql, [i.hex for i in ids])
                return [StoredEvent(UUID(row["originator_id"]), row["originator_version"],
                                    row["topic"], row["state"]) for row in c.fetchall()]
        statement = SQL(
            "SELECT " + columns + " FROM {}.{} WHERE originator_id = ANY(%b)"
            " ORDER BY originator_id, originator_version"
        ).format(Identifier(r.datastore.schema), Identifier(r.events_table_name))
        with r.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, [ids])
            return [StoredEvent(row["originator_id"], row["originator_version"], row["topic"],
                                bytes(row["state"])) for row in curs.fetchall()]

    def last_of_stream(self, stream: UUID) -> Record | None:
        rows = self.recorder.select_events(stream, desc=True, limit=1)
        return decode_stored(rows[0]) if rows else None

    def append(self, records: Sequence[Record], tracking: Tracking | None = None) -> list[int]:
        """Insert atomically with the optional tracking position; conflicts raise."""
        kwargs: dict[str, Any] = {"tracking": tracking} if tracking is not None else {}
        with _taken_is_conflict():
            ids = self.recorder.insert_events([to_stored(r) for r in records], **kwargs)
        return list(ids or [])

    def append_chunks(self, chunks: Iterable[Sequence[Record]],
                      tracking: Tracking | None = None) -> list[int]:
        """:meth:`append` of every record of ``chunks``, in order and in one transaction;
        on PostgreSQL each chunk is sent as it is drawn, so the server inserts it while
        the caller makes the next (:meth:`BinaryInsertRecorder.insert_chunks`)."""
        recorder = self.recorder
        if not isinstance(recorder, BinaryInsertRecorder):
            return self.append([r for chunk in chunks for r in chunk], tracking)
        with _taken_is_conflict():
            ids: list[int] = recorder.insert_chunks(
                Replayable([to_stored(r) for r in chunk] for chunk in chunks), tracking)
        return ids

    def max_notification_id(self) -> int:
        return int(self.recorder.max_notification_id() or 0)

    def count_up_to(self, nid: int) -> int:
        """How many events are stored with a notification id up to ``nid`` (ids can have
        gaps on PostgreSQL: a sequence value taken by a transaction that rolled back)."""
        recorder: Any = self.recorder
        table = recorder.events_table_name
        if self.url.startswith("sqlite"):
            with recorder.datastore.transaction(commit=False) as c:
                c.execute(f"SELECT COUNT(*) FROM {table} WHERE rowid <= ?", [nid])
                return int(c.fetchone()[0])
        statement = psycopg.sql.SQL("SELECT COUNT(*) AS n FROM {}.{} WHERE notification_id <= %s"
                                    ).format(psycopg.sql.Identifier(recorder.datastore.schema),
                                             psycopg.sql.Identifier(table))
        with recorder.datastore.get_connection() as conn:  # rows are dicts there
            return int(conn.execute(statement, [nid]).fetchone()["n"])

    def position(self, name: str) -> int | None:
        """The last position an append tracked under ``name`` (a consumer's offset in a
        topic partition, say), or None if none was. A database that cannot answer raises
        :class:`StoreUnavailable` with the driver's message."""
        try:
            last = self.recorder.max_tracking_id(name)
        except STORE_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        return None if last is None else int(last)

    def read_only(self) -> EventStore:
        """The same database (and connections), with appends that write nothing."""
        return _ReadOnlyStore(self)

    def iter_rows(self, start: int = 1, page: int = 5000) -> Iterator[tuple[int, Any]]:
        """Yield (notification id, raw stored row) in global order, a page at a time."""
        while True:
            rows = self.recorder.select_notifications(start, page)
            if not rows:
                return
            for row in rows:
                yield row.id, row
            start = rows[-1].id + 1

    def close(self) -> None:
        self.app.close()


@contextmanager
def _taken_is_conflict() -> Iterator[None]:
    """A stream version or tracked position already taken: another writer's, a conflict."""
    try:
        yield
    except IntegrityError as exc:
        raise ConcurrencyError(
            f"another writer got there first (stream version or position taken): {exc}"
        ) from None


class _ReadOnlyStore(EventStore):
    """See :meth:`EventStore.read_only`: for dry runs, which must never apply anything."""

    def __init__(self, inner: EventStore) -> None:  # shares inner's connections
        self.url = inner.url
        self.app = inner.app
        self.recorder = inner.recorder

    def append(self, records: Sequence[Record], tracking: Tracking | None = None) -> list[int]:
        return []

    def append_chunks(self, chunks: Iterable[Sequence[Record]],
                      tracking: Tracking | None = None) -> list[int]:
        for _ in chunks:  # made as for a write (the caller's chain and seal), written nowhere
            pass
        return []


def redact(url: str) -> str:
    """A database URL fit for logs: the password is never shown."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
