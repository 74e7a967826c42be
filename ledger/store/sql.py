"""A small SQL seam for read models: the same statements on SQLite and PostgreSQL.

Statements are written with ``?`` placeholders and portable types (TEXT, BIGINT); for
PostgreSQL (psycopg 3) placeholders become ``%s`` and the connection's search_path is
the schema named in the URL. Read models live in tables of their own: on PostgreSQL beside
the events, on SQLite in a file of their own (ledger/store/read_database.py).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg

from ledger.errors import ConfigurationError
from ledger.store.event_store import redact, sqlite_path
from ledger.store.packed_columns import NULL_SQL, SEP_SQL, packed

BATCH_FROM = 8  # rows: below this a batch goes by executemany on PostgreSQL too
T = TypeVar("T")


class ReadModelWriter(Protocol):
    """What a projection may do to its tables while it applies events: the write methods of
    :class:`ProjectionDB`, its queries, and a per-run memo. The runner passes a
    :class:`ProjectionDB`, or on PostgreSQL a stand-in that holds the writes back until the
    page before has been committed (:mod:`projections.engine.pipeline`)."""

    dialect: str

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def insert_rows(self, table: str, columns: Sequence[str], key: Sequence[str],
                    rows: Sequence[Sequence[Any]], conflict: str,
                    repeats: bool = False) -> None: ...

    def update_rows(self, table: str, columns: Sequence[str], key: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> None: ...

    def delete_rows(self, table: str, key: Sequence[str], rows: Sequence[Sequence[Any]]
                    ) -> None: ...

    def run_for_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                     statement: str) -> None: ...

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def memo(self, key: str, load: Callable[[], T]) -> T:
        """``load()``, or within one catch-up the value it gave the first time: for small
        tables a projection both reads and keeps up to date itself (mutating the value)."""
        ...


class ProjectionDB:
    """One connection; ``transaction()`` commits on success and rolls back on error."""

    def __init__(self, url: str) -> None:
        self.url = url
        parts = urlsplit(url)
        self.dialect = "sqlite" if parts.scheme == "sqlite" else "postgres"
        try:
            if self.dialect == "sqlite":
                path = sqlite_path(url) or ""
                if path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self._sqlite = sqlite3.connect(path, timeout=30, isolation_level=None,
                                               check_same_thread=False)
                self._sqlite.execute("PRAGMA journal_mode=WAL")
                self._sqlite.execute("PRAGMA synchronous=NORMAL")
                # A page of catch-up dirties thousands of pages: a 32 MB cache keeps them
                # from spilling mid-transaction, and checkpointing the WAL every ~40 MB
                # (not every 4 MB) copies a page rewritten by successive pages once.
                self._sqlite.execute("PRAGMA cache_size=-32768")
                self._sqlite.execute("PRAGMA wal_autocheckpoint=10000")
            else:
                schema = parse_qs(parts.query).get("schema", ["public"])[0]
                dsn = urlunsplit(parts._replace(query=""))
                self._pg = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
                self._pg.execute(psycopg.sql.SQL("SET search_path TO {}").format(
                    psycopg.sql.Identifier(schema)))
                self._cursor = self._pg.cursor()
        except (sqlite3.Error, psycopg.Error, UnicodeDecodeError) as exc:
            # UnicodeDecodeError: SQLite quotes a damaged schema's bytes in its message
            raise ConfigurationError(
                f"cannot open the read-model database {redact(url)}: {exc}") from None
        self._depth = 0
        self._types: dict[str, dict[str, str]] = {}  # table -> column -> type (PostgreSQL)
        self._ensured: set[str] = set()  # DDL run by ensure_table on this connection
        self._pipe: AbstractContextManager[Any] | None = None
        self._session: psycopg.Pipeline | None = None
        self.plain_inserts = False  # see insert_rows

    def _sql(self, statement: str) -> str:
        return statement if self.dialect == "sqlite" else statement.replace("?", "%s")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        self._raw("BEGIN" if self.dialect == "postgres" else "BEGIN IMMEDIATE")
        try:
            self._open_pipeline()
            try:
                yield
            except BaseException as exc:
                self._close_pipeline(exc)
                raise
            self._close_pipeline()
        except BaseException:
            self._raw("ROLLBACK")
            raise
        else:
            self._raw("COMMIT")
        finally:
            self._depth = 0

    def _open_pipeline(self) -> None:
        """On PostgreSQL a transaction's writes are sent without waiting for each answer
        (pipeline mode: one round trip per query instead of one per statement); a query
        waits for everything sent before it, and an error surfaces by the end of the
        transaction at the latest, which then rolls back."""
        if self.dialect == "postgres":
            self._pipe = self._pg.pipeline()
            self._pipe.__enter__()

    def _close_pipeline(self, exc: BaseException | None = None) -> None:
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            pipe.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)

    def _raw(self, statement: str) -> None:
        if self.dialect == "sqlite":
            self._sqlite.execute(statement)
        else:
            self._pg.execute(statement)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        if statement.lstrip()[:6].upper() in ("CREATE", "DROP T", "ALTER "):
            self._types.clear()  # a table may have changed shape
        if self.dialect == "sqlite":
            self._sqlite.execute(statement, params)
        else:
            self._cursor.execute(self._sql(statement), params)

    def create_table(self, ddl: str) -> None:
        """Run a portable ``CREATE TABLE``. On PostgreSQL its TEXT columns compare bytewise
        (``COLLATE "C"``), as SQLite's do: read models are keyed and indexed by codes,
        identifiers and UUIDs, on which a locale's collation (even ``C.UTF-8``) costs every
        index insert and lookup a ``strcoll`` call for nothing, and could order rows
        differently from SQLite."""
        if self.dialect == "postgres":
            ddl = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', ddl)
        self.execute(ddl)

    def ensure_table(self, ddl: str) -> None:
        """:meth:`create_table` of a ``CREATE TABLE IF NOT EXISTS``, once per connection:
        for the small tables a service creates on first use (download references, ended
        sessions), so a request does not run DDL each time."""
        if ddl not in self._ensured:
            self.create_table(ddl)
            self._ensured.add(ddl)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.dialect == "sqlite":
            self._sqlite.executemany(statement, rows)
        else:
            with self._pg.cursor() as cur:
                cur.executemany(self._sql(statement), rows)

    def insert_rows(self, table: str, columns: Sequence[str], key: Sequence[str],
                    rows: Sequence[Sequence[Any]], conflict: str,
                    repeats: bool = False) -> None:
        """``INSERT INTO table (columns) VALUES (…) ON CONFLICT (key) DO conflict`` for each
        row, in order. ``conflict`` is ``NOTHING`` or ``UPDATE SET c=excluded.c, …``; with
        ``UPDATE`` the rows' keys must be distinct. ``repeats``: keys may repeat in normal
        operation (with ``NOTHING``; otherwise only when events are applied again).

        While ``plain_inserts`` is set (by a caller that can send its page again, see
        projections.engine.pipeline), a ``NOTHING`` batch that does not repeat goes without its
        conflict clause: the server's cheaper path, and a key already there fails the page.

        On PostgreSQL a batch of at least ``BATCH_FROM`` rows is one statement over the rows
        (:meth:`_rows_relation`); with ``DO NOTHING`` the first of rows sharing a key wins,
        as row by row."""
        names = ", ".join(columns)
        target = f"INSERT INTO {table} ({names})"
        tail = f" ON CONFLICT ({', '.join(key)}) DO {conflict}"
        batch = self._rows_relation(table, columns, rows)
        if batch is None:
            self.executemany(f"{target} VALUES ({','.join('?' * len(columns))}){tail}", rows)
            return
        if self.plain_inserts and conflict == "NOTHING" and not repeats:
            tail = ""
        self._cursor.execute(f"{target} SELECT {names} FROM {batch[0]}{tail}", batch[1])

    def update_rows(self, table: str, columns: Sequence[str], key: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> None:
        """``UPDATE table SET columns = … WHERE key = …`` for each row (the values of
        ``columns``, then of ``key``); the rows' keys must be distinct, so that their order
        does not matter. On PostgreSQL a batch is one ``UPDATE … FROM`` the rows."""
        sets = ", ".join(f"{c}=?" for c in columns)
        where = " AND ".join(f"{c}=?" for c in key)
        batch = self._rows_relation(table, [*columns, *key], rows)
        if batch is None:
            self.executemany(f"UPDATE {table} SET {sets} WHERE {where}", rows)
            return
        sets = ", ".join(f"{c}=batch.{c}" for c in columns)
        where = " AND ".join(f"{table}.{c}=batch.{c}" for c in key)
        self._cursor.execute(f"UPDATE {table} SET {sets} FROM {batch[0]} WHERE {where}",
                             batch[1])

    def delete_rows(self, table: str, key: Sequence[str], rows: Sequence[Sequence[Any]]
                    ) -> None:
        """``DELETE FROM table WHERE key = …`` for each row of key values."""
        self.run_for_rows(table, key, rows, f"DELETE FROM {table} WHERE ({', '.join(key)}) IN"
                                            f" (SELECT {', '.join(key)} FROM {{rows}})")

    def run_for_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                     statement: str) -> None:
        """Run ``statement`` over ``rows``, where ``{rows}`` stands for them as a relation
        ``batch`` with ``columns`` typed as in ``table``. On PostgreSQL a batch is one
        statement; on SQLite (or for a few rows) the statement runs once per row, over
        ``(SELECT ? AS column, …) AS batch``: it must mean the same whatever the order of
        the rows. (On SQLite, an ``INSERT … SELECT … ON CONFLICT`` needs a ``WHERE`` before
        ``ON CONFLICT``, or the parser reads ``ON`` as part of a join.)"""
        batch = self._rows_relation(table, columns, rows)
        if batch is None:
            one = ", ".join(f"? AS {c}" for c in columns)
            self.executemany(statement.replace("{rows}", f"(SELECT {one}) AS batch"), rows)
            return
        self._cursor.execute(statement.replace("{rows}", batch[0]), batch[1])

    def _rows_relation(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
                       ) -> tuple[str, list[str]] | None:
        """PostgreSQL: ``rows`` as a relation named ``batch`` with ``columns`` typed as in
        ``table``; None on SQLite, for fewer than ``BATCH_FROM`` rows, or when a value
        cannot travel this way: then the caller goes row by row.

        Each column travels as one text parameter, its values joined by a separator and
        split on the server (``string_to_array``, then a cast to the column's type). Joining
        strings is done in C, where psycopg's array dumpers spend a Python loop per value,
        and the server parses it as cheaply as ``COPY`` text. Unlike ``COPY`` (which the
        read models used before) it stays in pipeline mode, so a page's statements go
        without waiting for each other, and it needs no scratch table, so it also works
        through a pooler in transaction mode (PgBouncer)."""
        if self.dialect != "postgres" or len(rows) < max(BATCH_FROM, 2):
            return None  # (and a single empty string would split into no value at all)
        types = self._column_types(table)
        params = []
        for column in zip(*rows, strict=True):
            text = packed(column)
            if text is None:
                return None
            params.append(text)
        arrays = ", ".join(f"string_to_array(%s, {SEP_SQL}, {NULL_SQL})::{types[c]}[]"
                           for c in columns)
        return f"unnest({arrays}) AS batch({', '.join(columns)})", params

    def _column_types(self, table: str) -> dict[str, str]:
        """The column types of ``table`` as the catalogue has them. The first call reads
        those of every table in the schema, in one query (each query waits for the
        pipeline); again after any DDL (see :meth:`execute`) or for a table not seen."""
        types = self._types.get(table)
        if types is None:
            for name, column, kind in self.query(
                    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)"
                    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                    " WHERE c.relnamespace = current_schema()::regnamespace"
                    " AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"):
                self._types.setdefault(str(name), {})[str(column)] = str(kind)
            types = self._types.get(table)
            if types is None:
                raise ConfigurationError(f"read-model table {table} does not exist in the"
                                         " schema the database URL names")
        return types

    def memo(self, key: str, load: Callable[[], T]) -> T:
        return load()  # no run to remember across: every page reads afresh

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """PostgreSQL: pipeline mode outside :meth:`transaction`, for a caller that sends
        ``BEGIN`` and ``COMMIT`` itself (:mod:`projections.engine.pipeline`). Leaving it waits for
        everything sent."""
        with self._pg.pipeline() as pipe:
            self._session = pipe
            try:
                yield
            finally:
                self._session = None

    def send(self, statement: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        """PostgreSQL, in :meth:`pipeline`: send ``statement`` on a cursor of its own and
        return the cursor; its rows can be fetched after :meth:`sync`."""
        cursor = self._pg.cursor()
        cursor.execute(self._sql(statement), params)
        return cursor

    def sync(self) -> None:
        """PostgreSQL, in :meth:`pipeline`: wait until the server has run everything sent;
        raises the first error among it."""
        assert self._session is not None, "sync() outside pipeline()"
        self._session.sync()

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.dialect == "sqlite":
            return list(self._sqlite.execute(statement, params).fetchall())
        with self._pg.cursor() as cur:
            cur.execute(self._sql(statement), params)
            return list(cur.fetchall())

    def table_exists(self, name: str) -> bool:
        if self.dialect == "sqlite":
            rows = self.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [name])
        else:
            rows = self.query("SELECT 1 FROM information_schema.tables WHERE table_name = ?"
                              " AND table_schema = current_schema()", [name])
        return bool(rows)

    def close(self) -> None:
        if self.dialect == "sqlite":
            self._sqlite.close()
        else:
            self._pg.close()

