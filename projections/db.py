"""A small SQL seam for read models: the same statements on SQLite and PostgreSQL.

Statements are written with ``?`` placeholders and portable types (TEXT, BIGINT); for
PostgreSQL (psycopg 3) placeholders become ``%s`` and the connection's search_path is
the schema named in the URL. Read models live beside the events, in tables of their own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg

from ledger.errors import ConfigurationError
from ledger.store import redact

COPY_FROM = 200  # rows: below this a batch goes by executemany on PostgreSQL too


class ProjectionDB:
    """One connection; ``transaction()`` commits on success and rolls back on error."""

    def __init__(self, url: str) -> None:
        self.url = url
        parts = urlsplit(url)
        self.dialect = "sqlite" if parts.scheme == "sqlite" else "postgres"
        try:
            if self.dialect == "sqlite":
                path = parts.path[1:] if parts.path.startswith("/") else parts.path
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
        except (sqlite3.Error, psycopg.Error) as exc:
            raise ConfigurationError(
                f"cannot open the read-model database {redact(url)}: {exc}") from None
        self._depth = 0
        self._stages: set[str] = set()  # scratch tables this connection has (committed)
        self._staged: set[str] = set()  # scratch tables the open transaction used
        self._pipe: AbstractContextManager[Any] | None = None

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
        self._staged = set()
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
            self._stages |= self._staged
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

    @contextmanager
    def _outside_pipeline(self) -> Iterator[None]:
        """COPY cannot run in pipeline mode: leave it (waiting for what was sent) and
        come back."""
        if self._pipe is None:
            yield
            return
        self._close_pipeline()
        yield
        self._open_pipeline()

    def _raw(self, statement: str) -> None:
        if self.dialect == "sqlite":
            self._sqlite.execute(statement)
        else:
            self._pg.execute(statement)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        if self.dialect == "sqlite":
            self._sqlite.execute(statement, params)
        else:
            self._cursor.execute(self._sql(statement), params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.dialect == "sqlite":
            self._sqlite.executemany(statement, rows)
        else:
            with self._pg.cursor() as cur:
                cur.executemany(self._sql(statement), rows)

    def insert_rows(self, table: str, columns: Sequence[str], key: Sequence[str],
                    rows: Sequence[Sequence[Any]], conflict: str) -> None:
        """``INSERT INTO table (columns) VALUES (…) ON CONFLICT (key) DO conflict`` for each
        row, in order. ``conflict`` is ``NOTHING`` or ``UPDATE SET c=excluded.c, …``; with
        ``UPDATE`` the rows' keys must be distinct.

        On PostgreSQL, in a transaction, a large batch is copied (``COPY``, a fifth of the
        client's cost per row of ``executemany``) into a temporary scratch table, then
        inserted from there in one statement; of rows sharing a key only the first is
        kept, as the row-by-row ``DO NOTHING`` would."""
        names = ", ".join(columns)
        target = f"INSERT INTO {table} ({names})"
        tail = f" ON CONFLICT ({', '.join(key)}) DO {conflict}"
        if self.dialect == "sqlite" or len(rows) < COPY_FROM or not self._depth:
            self.executemany(f"{target} VALUES ({','.join('?' * len(columns))}){tail}", rows)
            return
        at = [list(columns).index(c) for c in key]
        first: dict[tuple[Any, ...], Sequence[Any]] = {}
        for row in rows:
            first.setdefault(tuple(row[i] for i in at), row)
        stage = f"projection_stage_{table}"
        with self._outside_pipeline(), self._pg.cursor() as cur:
            # One scratch table per table and connection, emptied at every commit; made
            # once (creating and dropping one per batch costs the server more than a
            # thousand rows), and emptied again if a transaction uses it twice.
            if stage in self._staged:
                cur.execute(f"TRUNCATE {stage}")
            elif stage not in self._stages:
                cur.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {table})"
                            " ON COMMIT DELETE ROWS")
            self._staged.add(stage)
            with cur.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
                for row in first.values():
                    copy.write_row(row)
            # Rows new to the table, a catch-up's usual case, go in by a plain INSERT: it
            # costs the server about half of an INSERT … ON CONFLICT. Should any key be
            # there already, the savepoint undoes it and the conflict clause decides.
            cur.execute("SAVEPOINT projection_rows")
            try:
                cur.execute(f"{target} SELECT {names} FROM {stage}")
            except psycopg.errors.UniqueViolation:
                cur.execute("ROLLBACK TO SAVEPOINT projection_rows")
                cur.execute(f"{target} SELECT {names} FROM {stage}{tail}")
            cur.execute("RELEASE SAVEPOINT projection_rows")

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
