"""Damaged storage under the commands other than the audit: nothing is proved or signed
from it, no traceback, a dropped events table is never made again, and no row its seal
does not list becomes a transparency leaf. The ledger and its damage:
tests/integration/damaged_ledger.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from commands.cli.main import main
from tests.integration.damaged_ledger import SQLITE_DAMAGE, audit_json, built, ledger_copy

__all__ = ["built", "ledger_copy"]  # fixtures, used by name


@pytest.mark.parametrize("command", [["checkpoint", "--json"],
                                     ["proof", "consistency", "--from", "1", "--json"],
                                     ["proof", "inclusion", "--index", "3", "--json"]],
                         ids=["checkpoint", "consistency", "inclusion"])
@pytest.mark.parametrize("damage", ["events table page overwritten mid-file",
                                    "index leaf page overwritten"])
def test_nothing_is_proved_or_signed_from_damaged_storage(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str], command: list[str],
        damage: str) -> None:
    SQLITE_DAMAGE[damage](ledger_copy)
    code = main(command)
    out = capsys.readouterr()
    assert code == 1 and out.out == "", out
    assert "refused: storage damaged" in out.err and "Traceback" not in out.err


@pytest.mark.parametrize("command", [["stats"], ["project"], ["project", "--check"],
                                     ["corrections"]])
def test_other_commands_on_damaged_storage_say_so_without_a_traceback(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    SQLITE_DAMAGE["events table root page overwritten"](ledger_copy)
    code = main(command)
    out = capsys.readouterr()
    assert code == 1 and "Traceback" not in out.err, out
    assert "storage damaged: database disk image is malformed" in out.err, out.err
    assert "run `ledger audit` to see where" in out.err


def test_a_dropped_events_table_is_never_recreated_by_other_commands(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Re-creating it empty would hide the loss: the audit would then pass on 0 events."""
    with sqlite3.connect(ledger_copy) as conn:
        conn.execute("DROP TABLE stored_events")
    for command in (["project"], ["stats"], ["checkpoint"]):
        assert main(command) == 2, command
        assert "its events table is missing" in capsys.readouterr().err
    code, report, _ = audit_json(capsys)
    assert code == 1 and report["first_error"]["reason"].startswith(
        "storage damaged: no such table"), report


@pytest.mark.parametrize("state", [b"\xff\xfe not JSON any more", None],
                         ids=["row no longer JSON", "one character of a value changed"])
@pytest.mark.parametrize("command", [["checkpoint", "--json"],
                                     ["proof", "inclusion", "--index", "3", "--json"]],
                         ids=["checkpoint", "inclusion"])
def test_no_checkpoint_or_proof_covers_a_row_its_seal_does_not_list(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str], command: list[str],
        state: bytes | None) -> None:
    """Rot or an edit the database still reads: the ledger's signature must not vouch for
    it (the leaves are made from the rows, and each batch's rows from its seal's list)."""
    with sqlite3.connect(ledger_copy) as conn:
        old = bytes(conn.execute("SELECT state FROM stored_events WHERE rowid = 40"
                                 ).fetchone()[0])
        new = state or old.replace(b'"at":"2', b'"at":"3', 1)
        assert new != old
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 40", [new])
    code = main(command)
    out = capsys.readouterr()
    assert code == 1 and out.out == "" and "Traceback" not in out.err, out
    assert "event id 40 is not what the seal" in out.err, out.err


def test_rows_cut_from_the_start_of_a_batch_after_the_leaves_are_not_covered(
        ledger_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checkpoint", "--json"]) == 0  # the leaf table ends with a seal
    assert main(["audit", "--json"]) == 0
    capsys.readouterr()
    with sqlite3.connect(ledger_copy) as conn:  # the checkpoint's own batch, seal left
        (nid,) = conn.execute("SELECT MAX(rowid) FROM stored_events WHERE topic ="
                              " 'CheckpointPublished'").fetchone()
        conn.execute("DELETE FROM stored_events WHERE rowid = ?", [nid])
    code = main(["proof", "inclusion", "--index", "3", "--json"])
    out = capsys.readouterr()
    assert code == 1 and out.out == "", out
    assert f"the seal at event id {nid + 1} lists" in out.err, out.err
