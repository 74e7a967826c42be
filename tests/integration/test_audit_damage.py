"""Damaged storage is reported by ``ledger audit`` as damage, with exit code 1, never a
traceback: garbage written over SQLite pages (of the events table, of its index, of the
file header), a truncated file, dropped tables, columns edited to what they cannot hold.

Every case damages a copy of one SQLite ledger built once for the module
(tests/integration/damaged_ledger.py); the PostgreSQL cases use a fresh schema on the
shared server (and a private cluster for page damage, which breaks the server's own
files). The other commands on damaged storage: test_damage_other_commands.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from commands.cli.main import main
from tests.builders import RawEvents, apply_all, build_city
from tests.conftest import FakeClock
from tests.integration.damaged_ledger import (
    SQLITE_DAMAGE,
    audit_json,
    built,
    garbage,
    ledger_copy,
    pages,
)

__all__ = ["built", "ledger_copy"]  # fixtures, used by name


def test_an_undamaged_copy_passes(ledger_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = audit_json(capsys)
    assert code == 0 and report["ok"] is True and report["events"] > 100


def _damaged(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in report["errors"] if e["reason"].startswith("storage damaged")]


@pytest.mark.parametrize("name", sorted(SQLITE_DAMAGE))
def test_damaged_sqlite_pages_are_reported_not_raised(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    SQLITE_DAMAGE[name](ledger_copy)
    code, report, err = audit_json(capsys)
    assert code == 1 and report["ok"] is False, report
    assert "Traceback" not in err
    damage = _damaged(report)
    assert damage or any("unreadable" in e["reason"] for e in report["errors"]), report
    for e in damage:
        assert e["stream"] == "storage" and e["position"] == e["notification_id"] >= 0


@pytest.mark.parametrize("name", sorted(SQLITE_DAMAGE))
def test_damaged_sqlite_pages_under_replay_are_reported_not_raised(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    SQLITE_DAMAGE[name](ledger_copy)
    code = main(["audit", "--replay", "--json"])
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert code == 1 and report["ok"] is False, report
    assert "Traceback" not in out.err
    assert report["replay"]["ok"] is False or _damaged(report), report


def test_damage_mid_table_names_the_last_row_read(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaves = pages(ledger_copy, "stored_events", "leaf")
    garbage(ledger_copy, leaves[len(leaves) // 2])
    code, report, _ = audit_json(capsys)
    damage = _damaged(report)
    assert code == 1 and damage, report
    first = damage[0]
    assert first["notification_id"] > 0
    assert f"after event id {first['notification_id']}" in first["reason"]
    assert "malformed" in first["reason"] or "corrupt" in first["reason"], first


@pytest.mark.parametrize("replay", [[], ["--replay"]], ids=["audit", "audit --replay"])
def test_a_dropped_events_table_is_damage_and_is_not_recreated(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str], replay: list[str]) -> None:
    with sqlite3.connect(ledger_copy) as conn:
        conn.execute("DROP TABLE stored_events")
    code = main(["audit", "--json", *replay])
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert "Traceback" not in out.err
    assert code == 1 and report["events"] == 0
    assert report["first_error"]["reason"].startswith("storage damaged: no such table"), report
    with sqlite3.connect(ledger_copy) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "stored_events" not in tables


COLUMN_EDITS: dict[str, tuple[str, Any]] = {
    "stream id not an id": ("originator_id", "not-a-stream-id"),
    "stream id empty": ("originator_id", ""),
    "stream id NULL": ("originator_id", None),
    "version as text": ("originator_version", "seven"),
    "version NULL": ("originator_version", None),
    "topic NULL": ("topic", None),
    "topic another type": ("topic", "LicenceRevoked"),
    "state NULL": ("state", None),
    "state as text": ("state", "{\"not\": \"bytes\"}"),
    "state empty": ("state", b""),
    "state as integer": ("state", 42),
}


@pytest.mark.parametrize("name", sorted(COLUMN_EDITS))
def test_a_column_edited_to_what_it_cannot_hold_is_reported(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    column, value = COLUMN_EDITS[name]
    with sqlite3.connect(ledger_copy) as conn:
        conn.execute(f"UPDATE stored_events SET {column} = ? WHERE rowid = 40", [value])
    code, report, err = audit_json(capsys)
    assert code == 1 and report["ok"] is False and "Traceback" not in err
    first = report["first_error"]
    assert first["notification_id"] == 40, report  # named at the row itself
    assert report["events"] >= 120  # and the rows after it are still audited


# -- PostgreSQL -----------------------------------------------------------------------------

@pytest.fixture
def pg_ledger(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    clock = FakeClock()
    from commands.bootstrap import bootstrap
    from commands.settings import load_settings

    settings = load_settings({"LEDGER_DATABASE_URL": pg_url,
                              "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")})
    services = bootstrap(settings, clock=clock)
    try:
        scenario = build_city(services, clock, licences=6, lifecycle=False)
        apply_all(services, clock, scenario.issue(2))
    finally:
        services.close()
    monkeypatch.setenv("LEDGER_DATABASE_URL", pg_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(tmp_path / "ledger-key.pem"))
    yield pg_url


def _pg(url: str, statement: str) -> None:
    raw = RawEvents(url)
    with psycopg.connect(raw.dsn, autocommit=True) as conn:
        conn.execute(statement.format(table=raw.table))


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "DROP TABLE {table}",
    "ALTER TABLE {table} RENAME COLUMN state TO state_was",
    "ALTER TABLE {table} ALTER COLUMN originator_version TYPE text",
], ids=["dropped table", "renamed column", "column of another type"])
def test_postgres_schema_damage_is_reported(pg_ledger: str, capsys: pytest.CaptureFixture[str],
                                            statement: str) -> None:
    _pg(pg_ledger, statement)
    code, report, err = audit_json(capsys)
    assert code == 1 and report["ok"] is False and "Traceback" not in err
    assert all(e["reason"].startswith(("storage damaged", "unreadable"))
               for e in report["errors"] if not e["reason"].startswith("hash chain")), report


@pytest.mark.slow
@pytest.mark.postgres
def test_a_corrupted_postgres_heap_page_is_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Garbage written into a page of the events table's file, on a private cluster (it
    breaks the server's own files), while the server is stopped."""
    from commands.bootstrap import bootstrap
    from commands.settings import load_settings
    from tests.integration.test_kafka_outages import PrivatePostgres

    server = PrivatePostgres()
    server.start()
    try:
        clock = FakeClock()
        settings = load_settings({"LEDGER_DATABASE_URL": server.url,
                                  "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")})
        services = bootstrap(settings, clock=clock)
        try:
            build_city(services, clock, licences=20, lifecycle=True)
        finally:
            services.close()
        with psycopg.connect(server.url, autocommit=True) as conn:
            found = conn.execute("SELECT format('%I.%I', table_schema, table_name) FROM"
                                 " information_schema.columns WHERE column_name ="
                                 " 'originator_version' AND table_schema = 'public'").fetchall()
            assert len(found) == 1, found
            relation = conn.execute("SELECT pg_relation_filepath(%s)", found[0]).fetchone()
            pages = conn.execute("SELECT pg_relation_size(%s) / 8192", found[0]).fetchone()
        assert relation is not None and pages is not None and int(pages[0]) > 10
        server.stop()
        heap = server.data / str(relation[0])
        with heap.open("r+b") as handle:  # page 5's header and first line pointers
            handle.seek(5 * 8192)
            handle.write(bytes((i * 37 + 11) % 256 for i in range(64)))
        server.start()
        monkeypatch.setenv("LEDGER_DATABASE_URL", server.url)
        monkeypatch.setenv("LEDGER_KEY_FILE", str(tmp_path / "ledger-key.pem"))
        code, report, err = audit_json(capsys)
        assert code == 1 and "Traceback" not in err
        damage = _damaged(report)
        assert damage and "invalid page" in damage[0]["reason"], report
        assert damage[0]["notification_id"] > 0  # named at a position
    finally:
        try:
            server.stop()
        finally:
            import shutil
            shutil.rmtree(server.dir, ignore_errors=True)
