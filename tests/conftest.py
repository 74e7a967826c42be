"""Shared fixtures: real SQLite files and real PostgreSQL schemas, one per test.

PostgreSQL is the server `.ci/run` starts (127.0.0.1:5432, database ``ledger_test``);
override with LEDGER_TEST_PG. A PostgreSQL test that cannot connect fails, never skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from psycopg import sql

from commands.bootstrap import Services, bootstrap
from commands.settings import load_settings

# Property tests run the same examples on every run of the test command (a red run can be
# reproduced, and CI judges the code, not the luck of the draw); search new ones with
# `pytest tests/property --hypothesis-profile=explore`.
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("LEDGER_HYPOTHESIS_PROFILE", "repeatable"))

PG_URL = os.environ.get("LEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/ledger_test")


def _admin_dsn(url: str) -> str:
    return url.split("?")[0]


@pytest.fixture(scope="session")
def pg_database() -> str:
    """Make sure the test database exists (create it from ``postgres`` if not)."""
    base = _admin_dsn(PG_URL)
    dbname = base.rsplit("/", 1)[1]
    try:
        with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (dbname,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {base}: {exc}. Run the README test"
                    " command (scripts/test.sh), which starts it.")
    return base


@contextmanager
def fresh_schema(pg_database: str) -> Iterator[str]:
    """The URL of a new, empty schema in the test database; dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield f"{pg_database}?schema={schema}"
    finally:
        with psycopg.connect(pg_database, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A fresh schema in the test database; dropped afterwards."""
    with fresh_schema(pg_database) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the same scenario on both stores."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


class FakeClock:
    """A clock the test moves by hand (time is an input to the ledger, never read inside)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    settings = load_settings({"LEDGER_DATABASE_URL": database_url,
                              "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")})
    svc = bootstrap(settings, clock=clock)
    yield svc
    svc.close()
