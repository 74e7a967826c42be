"""A small SQL seam for read models: the same statements on SQLite and PostgreSQL.

Statements are written with ``?`` placeholders and portable types (TEXT, BIGINT); for
PostgreSQL (psycopg 3) placeholders become ``%s`` and the connection's search_path is
the schema named in the URL. Read models live beside the events, in tables of their own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg

from ledger.errors import ConfigurationError
from ledger.store import redact


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
            with self._pipelined():
                yield
        except BaseException:
            self._raw("ROLLBACK")
            raise
        else:
            self._raw("COMMIT")
        finally:
            self._depth = 0

    def _pipelined(self) -> AbstractContextManager[Any]:
        """On PostgreSQL a transaction's writes are sent without waiting for each answer
        (pipeline mode: one round trip per query instead of one per statement); a query
        waits for everything sent before it, and an error surfaces by the end of the
        transaction at the latest, which then rolls back."""
        return self._pg.pipeline() if self.dialect == "postgres" else nullcontext()

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
