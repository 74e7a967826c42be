"""A SQLite ledger to damage, shared by the damage tests: built once per module, copied
for each test (``ledger_copy``), and the ways its pages and file are damaged
(``SQLITE_DAMAGE``). A test module takes the fixtures by importing them and naming them
in ``__all__``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from commands.cli.main import main
from tests.builders import build_city, copy_ledger, sqlite_services
from tests.conftest import FakeClock


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("damage-source")
    clock = FakeClock()
    services = sqlite_services(directory, clock)
    try:
        build_city(services, clock, licences=20, lifecycle=True)
    finally:
        services.close()
    return directory


@pytest.fixture
def ledger_copy(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = copy_ledger(built, tmp_path)
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(tmp_path / "ledger-key.pem"))
    return tmp_path / "ledger.db"


def audit_json(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(["audit", "--json"])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def pages(db: Path, name: str, kind: str | None = None) -> list[int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT pageno, pagetype FROM dbstat WHERE name = ?"
                            " ORDER BY pageno", [name]).fetchall()
    return [int(n) for n, t in rows if kind is None or t == kind]


def garbage(db: Path, page: int, length: int = 4096, offset: int = 0) -> None:
    with sqlite3.connect(db) as conn:
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    with db.open("r+b") as handle:
        handle.seek((page - 1) * size + offset)
        handle.write(bytes((i * 151 + 7) % 256 for i in range(length)))


SQLITE_DAMAGE: dict[str, Callable[[Path], None]] = {
    "index root page overwritten": lambda db: garbage(
        db, pages(db, "sqlite_autoindex_stored_events_1")[0]),
    "index leaf page overwritten": lambda db: garbage(
        db, pages(db, "sqlite_autoindex_stored_events_1", "leaf")[1]),
    "index page header bytes flipped": lambda db: garbage(
        db, pages(db, "sqlite_autoindex_stored_events_1", "leaf")[0], length=12),
    "events table page overwritten mid-file": lambda db: garbage(
        db, (p := pages(db, "stored_events", "leaf"))[len(p) // 2]),
    "events table root page overwritten": lambda db: garbage(
        db, pages(db, "stored_events")[0]),
    "events table page header bytes": lambda db: garbage(
        db, pages(db, "stored_events", "leaf")[3], length=8),
    "last pages cut off the file": lambda db: db.write_bytes(
        db.read_bytes()[:len(db.read_bytes()) * 2 // 3]),
    "schema page overwritten": lambda db: garbage(db, 1, length=3996, offset=100),
    "file header overwritten": lambda db: garbage(db, 1, length=100),
    "schema text not UTF-8": lambda db: _schema_text_not_utf8(db),
}


def _schema_text_not_utf8(db: Path) -> None:
    """A byte of a CREATE statement (the tracking table's: the read models have a file of
    their own) turned into one that is not UTF-8: SQLite calls the schema malformed and
    quotes the bytes, which Python then cannot decode."""
    data = bytearray(db.read_bytes())
    at = data.find(b"CREATE TABLE tracking")
    assert at > 0
    data[at + 7] = 0xF2
    db.write_bytes(bytes(data))
