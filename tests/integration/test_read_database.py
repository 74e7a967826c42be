"""Read models in a file of their own on SQLite (ledger/store/read_database.py): where they
live, and that read models of another ledger, or of a later state of this one, are never
served as this ledger's: they are dropped and built again from the ledger."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from commands.bootstrap import Services
from commands.cli.main import main
from commands.maintenance import backup as backups
from ledger.integrity.canonical import format_instant
from ledger.store.read_database import own_file, read_models_url
from ledger.transparency.log import LeafTableError
from projections.engine.runner import check
from tests.builders import apply_all, build_city, sqlite_services
from tests.conftest import FakeClock

ANOTHER = "were built from another ledger"
AHEAD = "are ahead of this ledger"


def tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def licences_in(services: Services) -> set[str]:
    return {str(r[0]) for r in services.read_db.query("SELECT identifier FROM licences")}


def same_as_a_fresh_replay(services: Services, tmp_path: Path) -> None:
    from ledger.store.sql import ProjectionDB
    scratch = ProjectionDB(f"sqlite:///{tmp_path / 'scratch.db'}")
    try:
        problems = check(services.store, services.read_db, services.projections.projections,
                         scratch)
    finally:
        scratch.close()
    assert not any(problems.values()), problems


def test_the_read_models_url() -> None:
    assert read_models_url("sqlite:///.ledger/ledger.db") == "sqlite:///.ledger/ledger.db-read"
    assert read_models_url("sqlite:////abs/l.db") == "sqlite:////abs/l.db-read"
    assert read_models_url("sqlite:///:memory:") == "sqlite:///:memory:"
    pg = "postgresql://u:pw@127.0.0.1:5432/test?schema=s"
    assert read_models_url(pg) == pg
    assert own_file(pg) is None
    assert own_file("sqlite:////abs/l%20x.db") == Path("/abs/l x.db-read")


def test_read_models_live_beside_the_ledger_not_in_it(tmp_path: Path, clock: FakeClock) -> None:
    services = sqlite_services(tmp_path, clock)
    build_city(services, clock, licences=4, lifecycle=False)
    services.close()
    derived = {"licences", "projection_positions", "read_model_source"}
    assert derived <= tables(tmp_path / "ledger.db-read")
    assert not derived & tables(tmp_path / "ledger.db")


def test_read_models_of_another_ledger_are_built_again(
        tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    services = sqlite_services(first, clock)
    build_city(services, clock, licences=6, lifecycle=False)
    services.publish_checkpoint(services.transparency_log(), format_instant(clock.now))
    theirs = licences_in(services)
    services.close()
    clock.advance(days=3)  # another ledger: its first event differs
    services = sqlite_services(second, clock)
    build_city(services, clock, licences=2, lifecycle=False)
    ours = licences_in(services)
    services.close()
    assert len(theirs) == 6 and len(ours) == 2
    # The first ledger's read models (and leaf table, with more leaves) beside the second.
    for suffix in ("-read", "-read-wal", "-read-shm"):
        Path(f"{second / 'ledger.db'}{suffix}").unlink(missing_ok=True)
    shutil.copy2(first / "ledger.db-read", second / "ledger.db-read")

    # The audit, which reads the leaf table, does not take their leaves for damage.
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{second / 'ledger.db'}")
    monkeypatch.setenv("LEDGER_KEY_FILE", str(second / "ledger-key.pem"))
    assert main(["audit"]) == 0

    with caplog.at_level(logging.WARNING, logger="ledger.projections"):
        services = sqlite_services(second, clock)
    try:
        assert ANOTHER in caplog.text
        services.projections.catch_up()
        assert licences_in(services) == ours
        assert services.projections.behind() == 0
        same_as_a_fresh_replay(services, tmp_path)
    finally:
        services.close()


def test_read_models_ahead_of_a_ledger_put_back_by_hand(
        tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    services = sqlite_services(tmp_path, clock)
    scenario = build_city(services, clock, licences=4, lifecycle=False)
    services.close()
    older = tmp_path / "older.db"
    with closing(sqlite3.connect(tmp_path / "ledger.db")) as source, \
            closing(sqlite3.connect(older)) as to:
        source.backup(to)
    services = sqlite_services(tmp_path, clock)
    apply_all(services, clock, scenario.issue(3))
    services.publish_checkpoint(services.transparency_log(), format_instant(clock.now))
    services.close()
    # The ledger file is put back from the older copy; its read models stay newer.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp_path / 'ledger.db'}{suffix}").unlink(missing_ok=True)
    shutil.copy2(older, tmp_path / "ledger.db")
    with caplog.at_level(logging.WARNING, logger="ledger.projections"):
        services = sqlite_services(tmp_path, clock)
    try:
        assert AHEAD in caplog.text
        services.projections.catch_up()
        assert len(licences_in(services)) == 4
        same_as_a_fresh_replay(services, tmp_path)
        # What a tail cut looks like too: the leaves of the lost events are kept as its
        # evidence, and nothing is proved or signed until someone has looked.
        assert services.read_db.table_exists("transparency_leaves")
        with pytest.raises(LeafTableError, match="events were removed from the ledger"):
            services.transparency_log().tree()
    finally:
        services.close()


@pytest.mark.parametrize("record", ["kept", "lost"])
def test_the_same_ledger_keeps_its_read_models(
        tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, record: str
        ) -> None:
    """Also without their source record: another process may apply a fresh ledger's first
    events between a check that saw none and the head it reads."""
    services = sqlite_services(tmp_path, clock)
    build_city(services, clock, licences=4, lifecycle=False)
    services.close()
    with closing(sqlite3.connect(tmp_path / "ledger.db-read")) as db, db:
        if record == "lost":
            db.execute("DROP TABLE read_model_source")
        # A mark no replay would write: it survives only if nothing was rebuilt.
        db.execute("UPDATE licences SET licence_number = 'KEPT' WHERE rowid ="
                   " (SELECT MIN(rowid) FROM licences)")
    with caplog.at_level(logging.WARNING, logger="ledger.projections"):
        services = sqlite_services(tmp_path, clock)
        try:
            services.projections.catch_up()
            kept = services.read_db.query("SELECT COUNT(*) FROM licences WHERE"
                                          " licence_number = 'KEPT'")
        finally:
            services.close()
    assert kept == [(1,)]
    assert ANOTHER not in caplog.text and AHEAD not in caplog.text


def test_restore_deletes_the_read_models_of_the_ledger_it_replaces(
        tmp_path: Path, clock: FakeClock) -> None:
    services = sqlite_services(tmp_path, clock)
    scenario = build_city(services, clock, licences=4, lifecycle=False)
    out = tmp_path / "backups" / "ledger.bak"
    backups.backup(services.settings, out, format_instant(clock.now))
    apply_all(services, clock, scenario.issue(2))
    settings = services.settings
    services.close()
    with closing(sqlite3.connect(tmp_path / "ledger.db-read")) as db, db:
        db.execute("DROP TABLE read_model_source")  # only the file's deletion helps now
    assert backups.restore(settings, out, force=True)["ok"] is True
    services = sqlite_services(tmp_path, clock)
    try:
        services.projections.catch_up()
        assert len(licences_in(services)) == 4
        same_as_a_fresh_replay(services, tmp_path)
    finally:
        services.close()


def test_doctor_only_reads_and_does_not_create_the_read_file(
        tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    services = sqlite_services(tmp_path, clock)
    build_city(services, clock, licences=2, lifecycle=False)
    services.close()
    for path in tmp_path.glob("ledger.db-read*"):
        path.unlink()
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("LEDGER_KEY_FILE", str(tmp_path / "ledger-key.pem"))
    main(["doctor"])
    assert "not built yet; `ledger project` builds them" in " ".join(
        capsys.readouterr().out.split())
    assert not (tmp_path / "ledger.db-read").exists()
