"""Outage or poison? Real errors from real drivers, classified (commands/bus/failures.py).

Getting this wrong one way dead-letters valid commands during an outage; the other way
stops a partition forever behind one bad record. So every case here is a real error
raised by the real library, not a constructed one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from commands.bus.failures import database_reachable, describe_failure, is_outage
from tests.conftest import PG_URL
from tests.raising import raised


def test_a_server_that_is_not_there_is_an_outage() -> None:
    exc = raised(lambda: psycopg.connect("postgresql://postgres@127.0.0.1:1/x",
                                         connect_timeout=2))
    assert isinstance(exc, psycopg.OperationalError) and is_outage(exc)
    assert is_outage(raised(lambda: (_ for _ in ()).throw(ConnectionResetError("reset"))))
    assert not database_reachable(lambda: psycopg.connect(
        "postgresql://postgres@127.0.0.1:1/x", connect_timeout=2))


def test_a_locked_sqlite_database_is_an_outage(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0.05)
    exc = raised(lambda: other.execute("SELECT * FROM t"))
    holder.execute("ROLLBACK")
    assert isinstance(exc, sqlite3.OperationalError) and is_outage(exc)


@pytest.mark.postgres
def test_a_value_the_server_refuses_is_the_records_fault(pg_database: str) -> None:
    with psycopg.connect(PG_URL.split("?")[0]) as conn:
        nul = raised(lambda: conn.execute("SELECT %s::text", ["x\x00y"]))
        assert not is_outage(nul) and "NUL" in describe_failure(nul)
        conn.rollback()
        big = raised(lambda: conn.execute("SELECT %s::bigint * 4", [2 ** 62]))
        assert isinstance(big, psycopg.DataError) and not is_outage(big)
        conn.rollback()
        assert database_reachable(lambda: conn.execute("SELECT 1"))
