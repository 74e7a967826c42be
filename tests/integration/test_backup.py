"""Backup and recovery: lose the ledger, restore it, and prove it is the same ledger."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from commands.bootstrap import Services, bootstrap
from commands.cli.main import main
from commands.maintenance import backup as backups
from commands.settings import load_settings
from ledger.errors import LedgerError
from ledger.integrity.canonical import format_instant
from ledger.transparency.checkpoint import parse_note, verify_checkpoint
from tests.builders import RawEvents, build_city, flip
from tests.conftest import FakeClock


def _lose(services: Services) -> None:
    """The disaster: the ledger's database is gone."""
    url = services.settings.database_url
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        raw = RawEvents(url)
        schema = url.rsplit("schema=", 1)[1]
        with psycopg.connect(raw.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def _cli(services: Services, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("LEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(services.settings.key_file))
    return main(list(args))


def test_a_restored_ledger_audits_clean_and_keeps_its_checkpoint(
        services: Services, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    build_city(services, clock, licences=6)
    out = tmp_path / "backups" / "ledger.bak"
    assert _cli(services, monkeypatch, "backup", "--out", str(out)) == 0
    made = json.loads(capsys.readouterr().out)
    assert out.is_file() and made["checkpoint"]["size"] > 0
    _lose(services)
    assert _cli(services, monkeypatch, "restore", str(out), "--json") == 0
    restored = json.loads(capsys.readouterr().out)
    assert restored["ok"] is True and restored["checkpoints"] == 1, restored
    assert _cli(services, monkeypatch, "audit", "--json") == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert _cli(services, monkeypatch, "checkpoint", "--json") == 0
    latest = json.loads(capsys.readouterr().out)
    assert latest["published"] is False and latest["size"] == made["checkpoint"]["size"]
    assert latest["root"] == made["checkpoint"]["root"]
    signer = services.ledger.signer
    verify_checkpoint(parse_note(latest["note"]), {signer.key_id: ("ed25519", signer.public_key)})


def test_restore_refuses_to_overwrite_a_ledger_unless_forced(
        services: Services, clock: FakeClock, tmp_path: Path) -> None:
    build_city(services, clock, licences=2, lifecycle=False)
    out = tmp_path / "ledger.bak"
    backups.backup(services.settings, out, format_instant(clock.now))
    with pytest.raises(LedgerError, match="refuses to overwrite"):
        backups.restore(services.settings, out, force=False)
    assert backups.restore(services.settings, out, force=True)["ok"] is True
    with pytest.raises(LedgerError, match="never overwritten"):
        backups.backup(services.settings, out, format_instant(clock.now))


def test_a_damaged_backup_is_refused_before_anything_is_touched(
        services: Services, clock: FakeClock, tmp_path: Path) -> None:
    build_city(services, clock, licences=2, lifecycle=False)
    out = tmp_path / "ledger.bak"
    backups.backup(services.settings, out, format_instant(clock.now))
    data = out.read_bytes()
    out.write_bytes(flip(data, len(data) // 2))
    with pytest.raises(LedgerError, match="damaged"):
        backups.restore(services.settings, out, force=True)
    out.write_bytes(data)
    Path(f"{out}.json").write_text("{not json")
    with pytest.raises(LedgerError, match="cannot read"):
        backups.restore(services.settings, out, force=True)


@pytest.fixture
def sqlite_services(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    svc = bootstrap(load_settings({"LEDGER_DATABASE_URL": sqlite_url,
                                   "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")}),
                    clock=clock)
    yield svc
    svc.close()


@pytest.fixture
def pg_services(pg_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    svc = bootstrap(load_settings({"LEDGER_DATABASE_URL": pg_url,
                                   "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")}),
                    clock=clock)
    yield svc
    svc.close()


def test_a_backup_altered_by_an_insider_fails_verification_after_restore(
        sqlite_services: Services, clock: FakeClock, tmp_path: Path) -> None:
    services = sqlite_services  # the SQLite copy is a file this test can edit directly
    build_city(services, clock, licences=4, lifecycle=False)
    out = tmp_path / "ledger.bak"
    backups.backup(services.settings, out, format_instant(clock.now))
    with closing(sqlite3.connect(out)) as db:
        table = db.execute("SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE"
                           " '%originator_version%'").fetchone()[0]
        rowid, state = db.execute(f"SELECT rowid, state FROM {table} WHERE topic ="
                                  " 'LicenceIssued' LIMIT 1").fetchone()
        db.execute(f"UPDATE {table} SET state = ? WHERE rowid = ?",
                   (bytes(state).replace(b"CASE-", b"CASF-"), rowid))
        db.commit()
    sidecar = Path(f"{out}.json")
    description = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**description, "sha256": backups._sha256(out)}))
    result = backups.restore(services.settings, out, force=True)
    assert result["ok"] is False
    assert any("root does not match" in p for p in result["problems"]), result["problems"]


@pytest.mark.postgres
def test_a_postgresql_backup_goes_back_to_its_own_schema(
        pg_services: Services, clock: FakeClock, tmp_path: Path) -> None:
    services = pg_services
    build_city(services, clock, licences=2, lifecycle=False)
    out = tmp_path / "ledger.bak"
    backups.backup(services.settings, out, format_instant(clock.now))
    other_url = services.settings.database_url.rsplit("schema=", 1)[0] + "schema=elsewhere"
    elsewhere = load_settings({"LEDGER_DATABASE_URL": other_url,
                               "LEDGER_KEY_FILE": str(services.settings.key_file)})
    with pytest.raises(LedgerError, match="in schema 't_"):
        backups.restore(elsewhere, out, force=True)
