"""The transparency leaf table against the events: the ledger proves and signs only leaves
it holds. Each case tampers with the table or the events as an insider could, and expects
``ledger proof`` and ``ledger checkpoint`` to refuse (exit 1, ``log_mismatch``) rather than
answer from leaves that are not the stored events.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.cli.main import main
from ledger.transparency.log import TransparencyLog
from tests.builders import RawEvents, apply_all, build_city, flip
from tests.conftest import FakeClock


@pytest.fixture
def run(services: Services, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setenv("LEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(services.settings.key_file))

    def call(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err
    return call


@pytest.fixture
def logged(services: Services, clock: FakeClock, run: Any) -> int:
    """A ledger with a checkpoint, more events after it, and a caught-up leaf table; returns
    the checkpoint's size."""
    scenario = build_city(services, clock, licences=6, lifecycle=False)
    code, out, _ = run("checkpoint", "--json")
    assert code == 0
    apply_all(services, clock, scenario.issue(2))
    TransparencyLog(services.store, services.read_db).catch_up()
    return int(json.loads(out)["size"])


def _leaves(services: Services, statement: str, *params: Any) -> None:
    with services.read_db.transaction():
        services.read_db.execute(statement, list(params))


def _refused(run: Any, *args: str) -> str:
    code, out, err = run(*args)
    assert code == 1 and out == "" and "refused" in err and "log_mismatch" in err, (code, err)
    return err


def _all_refused(run: Any, size: int) -> None:
    _refused(run, "checkpoint", "--json")
    _refused(run, "proof", "inclusion", "--index", "0", "--size", str(size), "--json")
    _refused(run, "proof", "consistency", "--from", "1", "--to", str(size), "--json")


TAMPERING: dict[str, Callable[[Services, RawEvents, int], None]] = {
    "last leaf's event deleted": lambda s, raw, _: raw.delete(raw.rows()[-1].nid),
    "an event mid-history deleted": lambda s, raw, _: raw.delete(raw.rows()[10].nid),
    "last leaf's event altered": lambda s, raw, _: raw.set_state(
        raw.rows()[-1].nid, flip(raw.rows()[-1].state, 30)),
    "a leaf row deleted from the table": lambda s, raw, _: _leaves(
        s, "DELETE FROM transparency_leaves WHERE leaf_index = 7"),
    "a leaf row added to the table": lambda s, raw, _: _leaves(
        s, "INSERT INTO transparency_leaves VALUES (?, ?, ?)", len(raw.rows()),
        raw.rows()[-1].nid + 100, "00" * 32),
    "the last leaf row points at another event": lambda s, raw, _: _leaves(
        s, "UPDATE transparency_leaves SET notification_id = ? WHERE leaf_index = ?",
        raw.rows()[-1].nid + 50, len(raw.rows()) - 1),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_proofs_and_checkpoints_refuse_a_table_that_is_not_the_events(
        services: Services, logged: int, run: Any, name: str) -> None:
    raw = RawEvents(services.settings.database_url)
    size = len(raw.rows())
    TAMPERING[name](services, raw, size)
    _all_refused(run, min(size, len(raw.rows())))


def test_a_leaf_hash_altered_after_the_last_checkpoint_is_not_signed(
        services: Services, logged: int, run: Any) -> None:
    _leaves(services, "UPDATE transparency_leaves SET leaf_hash = ? WHERE leaf_index = ?",
            "11" * 32, logged + 2)
    err = _refused(run, "checkpoint", "--json")
    assert f"leaf {logged + 2} of the transparency log is not the hash of the event" in err


def test_a_leaf_hash_altered_under_the_last_checkpoint_is_not_signed(
        services: Services, logged: int, run: Any) -> None:
    _leaves(services, "UPDATE transparency_leaves SET leaf_hash = ? WHERE leaf_index = 3",
            "22" * 32)
    code, out, err = run("checkpoint", "--json")
    assert code == 1 and out == "" and "no longer matches its latest checkpoint" in err, err


def test_an_event_altered_under_a_proved_leaf_is_not_proved(
        services: Services, logged: int, run: Any) -> None:
    raw = RawEvents(services.settings.database_url)
    row = raw.rows()[5]
    raw.set_state(row.nid, flip(row.state, 40))
    err = _refused(run, "proof", "inclusion", "--index", "5", "--size", str(logged), "--json")
    assert "leaf 5 of the transparency log" in err
    code, _, _ = run("proof", "inclusion", "--index", "4", "--size", str(logged), "--json")
    assert code == 0  # its neighbour is still what the ledger holds


def test_events_written_after_a_tail_cut_do_not_hide_it(
        services: Services, logged: int, run: Any, clock: FakeClock) -> None:
    """SQLite reuses the ids of deleted rows: the new rows take the cut rows' ids."""
    raw = RawEvents(services.settings.database_url)
    rows = raw.rows()
    for row in rows[-3:]:
        raw.delete(row.nid)
    for row in rows[-3:-1]:  # two forged rows in their place (same stream, other bytes)
        raw.append(row.stream, row.version, row.topic, flip(row.state, 25))
    _all_refused(run, len(raw.rows()))


def test_rebuilding_the_table_after_a_cut_proves_only_what_is_held(
        services: Services, logged: int, run: Any, tmp_path: Path) -> None:
    """The remedy the refusal names: drop the table; it is rebuilt from the events, so the
    ledger again proves (and may checkpoint) exactly the history it holds."""
    raw = RawEvents(services.settings.database_url)
    seals = [r.nid for r in raw.rows() if r.topic == "BatchSealed"]
    raw._run(("DELETE FROM {table} WHERE {id} > ?", (seals[1],)))
    _leaves(services, "DROP TABLE transparency_leaves")
    held = len(raw.rows())
    code, out, _ = run("proof", "consistency", "--from", "1", "--to", str(held), "--json")
    assert code == 0 and json.loads(out)["size2"] == held
    code, out, err = run("proof", "consistency", "--from", "1", "--to", str(held + 1))
    assert code == 2 and "need 0 < from" in err


AUDITED: dict[str, tuple[str, tuple[Any, ...], str]] = {
    "a leaf hash altered": (
        "UPDATE transparency_leaves SET leaf_hash = ? WHERE leaf_index = 4", ("33" * 32,),
        "the table is not the events"),
    "a leaf pointing at another event": (
        "UPDATE transparency_leaves SET notification_id = notification_id + 1000"
        " WHERE leaf_index = 9", (), "the table is not the events"),
    "a leaf row deleted": (
        "DELETE FROM transparency_leaves WHERE leaf_index = 2", (),
        "the table is not the events"),
    "a leaf added at the end": (
        "INSERT INTO transparency_leaves SELECT MAX(leaf_index) + 1, MAX(notification_id) + 1,"
        " 'ab' FROM transparency_leaves", (), "(a tail cut)"),
}


@pytest.mark.parametrize("name", sorted(AUDITED))
def test_the_audit_proves_the_leaf_table_equal_to_the_events(
        services: Services, logged: int, run: Any, name: str) -> None:
    code, out, _ = run("audit", "--json")
    assert code == 0, out
    statement, params, words = AUDITED[name]
    _leaves(services, statement, *params)
    code, out, _ = run("audit", "--json")
    reasons = [e["reason"] for e in json.loads(out)["errors"]]
    assert code == 1 and len(reasons) == 1 and words in reasons[0], reasons


def test_a_leaf_table_behind_the_events_or_missing_is_no_problem(
        services: Services, logged: int, run: Any) -> None:
    _leaves(services, "DELETE FROM transparency_leaves WHERE leaf_index > 20")
    assert run("audit", "--json")[0] == 0  # not yet caught up: the ledger appends first
    _leaves(services, "DROP TABLE transparency_leaves")
    assert run("audit", "--json")[0] == 0
