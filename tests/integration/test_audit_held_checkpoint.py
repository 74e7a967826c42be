"""``ledger audit --checkpoint FILE``: a third party's checkpoint against the ledger.

The file is what ``ledger checkpoint --json`` printed (or its signed note). The audit
verifies its signature against the ledger key history and recomputes the root at its size
from the events; every forgery, every history that does not extend it, fails with exit 1
and says why; a file that is not a checkpoint is bad usage (exit 2).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.bus.own_writes import rotate_ledger_key
from commands.bus.pipeline import MessageBus
from commands.cli.main import main
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey
from ledger.store.application import Ledger
from ledger.transparency.checkpoint import Checkpoint, sign_checkpoint
from ledger.transparency.log import TransparencyLog
from ledger.transparency.merkle import EMPTY_ROOT, MerkleTree, hash_leaf
from tests.builders import RawEvents, apply_all, build_city, flip
from tests.conftest import FakeClock

FOREIGN = SigningKey("ed25519", hashlib.sha256(b"someone else").digest())


class Audit:
    def __init__(self, services: Services, tmp_path: Path,
                 capsys: pytest.CaptureFixture[str]) -> None:
        self.services, self.tmp_path, self.capsys = services, tmp_path, capsys

    def file(self, content: str | bytes, name: str = "held.json") -> Path:
        path = self.tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    def __call__(self, checkpoint: Checkpoint | Path) -> tuple[int, dict[str, Any], str]:
        path = checkpoint if isinstance(checkpoint, Path) else self.file(
            json.dumps(checkpoint.to_json()))
        code = main(["audit", "--json", "--checkpoint", str(path)])
        out = self.capsys.readouterr()
        return code, json.loads(out.out) if out.out else {}, out.err


@pytest.fixture
def audit(services: Services, clock: FakeClock, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Audit:
    monkeypatch.setenv("LEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(services.settings.key_file))
    scenario = build_city(services, clock, licences=4, lifecycle=False)
    services.publish_checkpoint(TransparencyLog(services.store, services.read_db),
                                format_instant(clock.now))
    clock.advance(minutes=1)
    apply_all(services, clock, scenario.issue(2))
    return Audit(services, tmp_path, capsys)


def _tree(services: Services) -> MerkleTree:
    return MerkleTree(hash_leaf(bytes(row.state)) for _, row in services.store.iter_rows())


def _latest(services: Services) -> Checkpoint:
    latest = TransparencyLog(services.store, services.read_db).latest()
    assert latest is not None
    return latest


def test_the_json_and_the_note_of_a_real_checkpoint_pass(audit: Audit) -> None:
    latest = _latest(audit.services)
    for path in (audit.file(json.dumps({**latest.to_json(), "published": True})),
                 audit.file(latest.note(), "held.note")):
        code, report, _ = audit(path)
        assert code == 0 and report["ok"] is True, report
        assert report["held_checkpoint"]["ok"] is True
        assert report["held_checkpoint"]["size"] == latest.size


def test_a_held_checkpoint_of_the_empty_log_passes(audit: Audit) -> None:
    latest = _latest(audit.services)
    empty = sign_checkpoint(latest.origin, 0, EMPTY_ROOT, latest.time, audit.services.ledger.signer)
    code, report, _ = audit(empty)
    assert code == 0 and report["held_checkpoint"]["ok"] is True


def test_the_text_report_says_whether_it_is_extended(audit: Audit) -> None:
    latest = _latest(audit.services)
    path = audit.file(json.dumps(latest.to_json()))
    assert main(["audit", "--checkpoint", str(path)]) == 0
    assert "extends it" in audit.capsys.readouterr().err


Forgery = Callable[[Services, MerkleTree, Checkpoint], Checkpoint]
FORGED: dict[str, tuple[Forgery, str]] = {
    "larger than the history, ledger-signed": (
        lambda s, t, c: sign_checkpoint(c.origin, t.size + 3, t.root(), c.time,
                                        s.ledger.signer),
        "are missing (the history was cut"),
    "another root at a real size, ledger-signed": (
        lambda s, t, c: sign_checkpoint(c.origin, c.size, bytes(32), c.time, s.ledger.signer),
        "do not hash to the held checkpoint's root"),
    "a root of other leaves, ledger-signed": (
        lambda s, t, c: sign_checkpoint(c.origin, 5, MerkleTree(
            [hash_leaf(b"x")] * 5).root(), c.time, s.ledger.signer),
        "altered or replaced"),
    "root changed after signing": (
        lambda s, t, c: Checkpoint(c.origin, c.size, t.root(c.size - 1), c.time, c.key_id,
                                   c.key_hash, c.signature),
        "signature does not verify"),
    "size changed after signing": (
        lambda s, t, c: Checkpoint(c.origin, c.size - 1, c.root, c.time, c.key_id,
                                   c.key_hash, c.signature),
        "signature does not verify"),
    "a foreign key": (
        lambda s, t, c: sign_checkpoint(c.origin, c.size, c.root, c.time, FOREIGN),
        "not a ledger key in the history"),
    "a foreign key named as the ledger's": (
        lambda s, t, c: Checkpoint(**{**sign_checkpoint(c.origin, c.size, c.root, c.time,
                                                         FOREIGN).__dict__,
                                      "key_id": c.key_id}),
        "key hash"),
    "another log's origin": (
        lambda s, t, c: sign_checkpoint("licence-ledger/elsewhere", c.size, c.root, c.time,
                                        s.ledger.signer),
        "names the log"),
}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_a_held_checkpoint_the_history_does_not_extend_fails(audit: Audit, name: str) -> None:
    forge, words = FORGED[name]
    services = audit.services
    code, report, err = audit(forge(services, _tree(services), _latest(services)))
    held = report["held_checkpoint"]
    assert code == 1 and report["ok"] is False and held["ok"] is False
    assert any(words in p for p in held["problems"]), held
    assert report["errors"][-1]["stream"] == "held checkpoint"
    assert "Traceback" not in err


def test_an_event_altered_under_the_held_checkpoint(audit: Audit) -> None:
    latest = _latest(audit.services)
    raw = RawEvents(audit.services.settings.database_url)
    row = raw.rows()[latest.size // 2]
    raw.set_state(row.nid, flip(row.state, 35))
    code, report, _ = audit(latest)
    assert code == 1 and any("altered or replaced" in p
                             for p in report["held_checkpoint"]["problems"])
    assert report["first_error"]["notification_id"] == row.nid  # the row itself, first


def test_an_event_altered_after_the_held_checkpoint_is_still_an_audit_failure(
        audit: Audit) -> None:
    latest = _latest(audit.services)
    raw = RawEvents(audit.services.settings.database_url)
    row = raw.rows()[-3]
    assert row.nid > latest.size
    raw.set_state(row.nid, flip(row.state, 35))
    code, report, _ = audit(latest)
    assert code == 1 and report["held_checkpoint"]["ok"] is True  # its prefix is intact


def test_a_checkpoint_dated_after_its_key_was_retired(audit: Audit, clock: FakeClock) -> None:
    services = audit.services
    old = services.ledger.signer
    rotated = Ledger(services.store, SigningKey("ed25519", hashlib.sha256(b"next").digest()))
    rotate_ledger_key(MessageBus(rotated), old, format_instant(clock.now))
    clock.advance(minutes=5)
    latest = _latest(services)
    before = latest  # signed by the old key before it was retired: still good
    code, report, _ = audit(before)
    assert code == 0 and report["held_checkpoint"]["ok"] is True, report
    late = sign_checkpoint(latest.origin, latest.size, latest.root, format_instant(clock.now),
                           old)
    code, report, _ = audit(late)
    assert code == 1 and any("after its key" in p and "was retired" in p
                             for p in report["held_checkpoint"]["problems"]), report


BAD_FILES: dict[str, bytes] = {
    "empty": b"",
    "not JSON": b"{size: 3}",
    "a JSON array": b"[1, 2]",
    "JSON without a root": json.dumps({"origin": "o", "size": 1}).encode(),
    "size as text": b'{"origin":"o","size":"3","root":"","time":"","key_id":"k",'
                    b'"key_hash":"00000000","signature":""}',
    "binary garbage": bytes(range(256)),
    "a note without signatures": b"licence-ledger/x\n3\nAAAA\ntime 2026\n",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_file_that_is_not_a_checkpoint_is_bad_usage(audit: Audit, name: str) -> None:
    path = audit.file(BAD_FILES[name])
    code, report, err = audit(path)
    assert code == 2 and report == {}, report
    assert str(path) in err and ("is not a checkpoint" in err or "cannot read" in err), err
    assert "Traceback" not in err


def test_a_missing_file_is_bad_usage(audit: Audit) -> None:
    code, _, err = audit(audit.tmp_path / "nowhere.json")
    assert code == 2 and "cannot read the checkpoint file" in err
