"""The read models' own file on SQLite and the audit (ledger/store/read_database.py): the
leaf table stays evidence of a tail cut across the move to the new file, the audit only
looks, and nothing that no event rebuilds lives in that file."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from commands.cli.main import main
from ledger.integrity.canonical import format_instant
from ledger.transparency.sealed_rows import SEAL_TOPIC
from sharing.pages.ended import end, ended
from tests.builders import build_city, sqlite_services
from tests.conftest import FakeClock

OLD_LEDGER = Path(__file__).resolve().parents[1] / "fixtures" / "ledger-2026-12-07"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> Run:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("LEDGER_KEY_FILE", str(tmp_path / "ledger-key.pem"))
    monkeypatch.setenv("LEDGER_KEYS_DIR", str(tmp_path / "keys"))

    def call(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, " ".join(out.err.split())
    return call


@pytest.fixture
def old_ledger(tmp_path: Path) -> Path:
    """A ledger written before the split: its read models and leaf table inside its file."""
    shutil.copyfile(OLD_LEDGER / "ledger.db", tmp_path / "ledger.db")
    shutil.copyfile(OLD_LEDGER / "ledger-key.pem", tmp_path / "ledger-key.pem")
    (tmp_path / "ledger-key.pem").chmod(0o600)
    shutil.copytree(OLD_LEDGER / "keys", tmp_path / "keys")
    return tmp_path / "ledger.db"


def cut_after_a_seal(ledger: Path, seals_kept_from_the_end: int = 3) -> None:
    """An insider's tail cut at a batch boundary: the events' own audit finds nothing."""
    with closing(sqlite3.connect(ledger)) as db, db:
        seals = [r[0] for r in db.execute("SELECT rowid FROM stored_events WHERE topic = ?"
                                          " ORDER BY rowid", [SEAL_TOPIC])]
        db.execute("DELETE FROM stored_events WHERE rowid > ?",
                   [seals[-seals_kept_from_the_end]])


def test_an_old_ledger_keeps_its_leaves_as_evidence_of_a_tail_cut(
        old_ledger: Path, run: Run) -> None:
    cut_after_a_seal(old_ledger)
    code, out, err = run("audit")  # before any command made the new file
    assert code == 1 and "tail cut" in out, (out, err)
    assert not Path(f"{old_ledger}-read").exists()  # the audit only looks
    code, out, err = run("checkpoint", "--json")  # makes the new file, leaves carried over
    assert code == 1 and out == "" and "log_mismatch" in err, err
    code, out, err = run("audit")
    assert code == 1 and "tail cut" in out, (out, err)


def test_an_old_ledger_untouched_audits_clean_and_checkpoints_on(
        old_ledger: Path, run: Run) -> None:
    assert run("audit")[0] == 0
    code, _, err = run("checkpoint")
    assert code == 0, err
    code, _, err = run("audit")
    assert code == 0 and "transparency checkpoints verified" in err, err


def test_the_audit_does_not_change_read_models_of_another_ledger(
        tmp_path: Path, clock: FakeClock, run: Run) -> None:
    other = tmp_path / "other"
    other.mkdir()
    services = sqlite_services(other, clock)
    build_city(services, clock, licences=4, lifecycle=False)
    services.publish_checkpoint(services.transparency_log(), format_instant(clock.now))
    services.close()
    clock.advance(days=2)
    services = sqlite_services(tmp_path, clock)
    build_city(services, clock, licences=2, lifecycle=False)
    services.close()
    shutil.copy2(other / "ledger.db-read", tmp_path / "ledger.db-read")
    before = (tmp_path / "ledger.db-read").read_bytes()
    code, _, err = run("audit")
    assert code == 0, err
    assert "was built from another ledger: not compared" in err
    assert (tmp_path / "ledger.db-read").read_bytes() == before


def test_logged_out_sessions_stay_ended_without_the_read_models(
        tmp_path: Path, clock: FakeClock) -> None:
    services = sqlite_services(tmp_path, clock)
    try:
        end(services.state_db, "sid-1", expires_ms=2**50, now_ms=0)
        assert services.state_db.url == services.settings.database_url
    finally:
        services.close()
    for path in tmp_path.glob("ledger.db-read*"):
        path.unlink()
    services = sqlite_services(tmp_path, clock)
    try:
        assert ended(services.state_db, "sid-1")
        assert not ended(services.state_db, "sid-2")
    finally:
        services.close()


def test_a_percent_escaped_path_is_one_file_for_every_connection(
        tmp_path: Path, clock: FakeClock, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "my ledger"
    folder.mkdir()
    url = f"sqlite:///{tmp_path}/my%20ledger/l.db"
    from commands.bootstrap import bootstrap
    from commands.settings import load_settings
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": url,
                                        "LEDGER_KEY_FILE": str(folder / "key.pem")}),
                         clock=clock)
    try:
        build_city(services, clock, licences=2, lifecycle=False)
        services.publish_checkpoint(services.transparency_log(), format_instant(clock.now))
    finally:
        services.close()
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm"))
                  ) == ["key.pem", "l.db", "l.db-read"]
    cut_after_a_seal(folder / "l.db")
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(folder / "key.pem"))
    code, out, err = run("audit")
    assert code == 1 and "tail cut" in out, (out, err)


def test_a_damaged_read_file_is_named_and_the_audit_still_judges_the_events(
        tmp_path: Path, clock: FakeClock, run: Run) -> None:
    services = sqlite_services(tmp_path, clock)
    build_city(services, clock, licences=2, lifecycle=False)
    services.close()
    read = tmp_path / "ledger.db-read"
    data = bytearray(read.read_bytes())
    data[data.find(b"CREATE TABLE licences") + 7] = 0xF2  # SQLite: "malformed schema"
    read.write_bytes(bytes(data))
    code, _, err = run("stats")
    assert code == 2 and "cannot open the read-model database" in err, err
    assert "Traceback" not in err
    code, _, err = run("audit")
    assert code == 0 and "Traceback" not in err, err
