"""``ledger audit`` checks every checkpoint against the events and against the one before.

Each case forges or alters rows as an attacker with database access would, and expects
the audit to name the checkpoint problem (the ordinary audit may report more besides).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from commands.bootstrap import Services
from commands.bus.own_writes import publish_checkpoint, rotate_ledger_key
from commands.bus.pipeline import MessageBus
from commands.cli.main import main
from ledger.domain import streams
from ledger.integrity.audit import audit_rows
from ledger.integrity.canonical import format_instant
from ledger.integrity.mapper import encode_record
from ledger.integrity.signing import SigningKey
from ledger.store.application import Ledger
from ledger.transparency.checkpoint import Checkpoint, log_origin, sign_checkpoint
from ledger.transparency.checkpoint_audit import CheckpointAuditor
from ledger.transparency.log import TransparencyLog
from ledger.transparency.merkle import MerkleTree, hash_leaf
from tests.builders import RawEvents, apply_all, build_city
from tests.conftest import FakeClock

FOREIGN = SigningKey("ed25519", hashlib.sha256(b"not-the-ledger").digest())


def _reasons(services: Services) -> list[str]:
    checkpoints = CheckpointAuditor()
    report = audit_rows(checkpoints.observe(services.store.iter_rows()))
    checkpoints.fold_into(report)
    return [e.reason for e in report.errors]


def _publish(services: Services, clock: FakeClock) -> Checkpoint:
    checkpoint, _ = services.publish_checkpoint(
        TransparencyLog(services.store, services.read_db), format_instant(clock.now))
    clock.advance(minutes=1)
    return checkpoint


def _tree(services: Services) -> MerkleTree:
    return MerkleTree(hash_leaf(bytes(row.state)) for _, row in services.store.iter_rows())


def _append(services: Services, checkpoint: Checkpoint, clock: FakeClock) -> None:
    """A forger's CheckpointPublished row, correctly chained onto the checkpoint stream."""
    last = services.store.last_of_stream(streams.checkpoint_stream())
    record = encode_record(streams.checkpoint_stream(), last.version + 1 if last else 1,
                           checkpoint.to_event(), format_instant(clock.now), None,
                           last.hash if last else None)
    RawEvents(services.settings.database_url).append(str(record.stream), record.version,
                                                     record.type, record.raw)


@pytest.fixture
def city(services: Services, clock: FakeClock) -> Services:
    scenario = build_city(services, clock, licences=6, lifecycle=False)
    _publish(services, clock)
    apply_all(services, clock, scenario.issue(2))
    _publish(services, clock)
    return services


def test_an_honest_log_passes(city: Services) -> None:
    assert _reasons(city) == []


Forgery = Callable[[Services, MerkleTree, Checkpoint], Checkpoint]
FORGERIES: dict[str, tuple[Forgery, str]] = {
    "wrong root, real key": (
        lambda s, t, last: sign_checkpoint(last.origin, t.size, bytes(32), last.time,
                                           s.ledger.signer),
        "root does not match the root recomputed"),
    "more leaves than exist": (
        lambda s, t, last: sign_checkpoint(last.origin, t.size + 5, t.root(), last.time,
                                           s.ledger.signer),
        "claims more leaves than"),
    "log shrinks": (
        lambda s, t, last: sign_checkpoint(last.origin, last.size - 1, t.root(last.size - 1),
                                           last.time, s.ledger.signer),
        "would have shrunk"),
    "another origin": (
        lambda s, t, last: sign_checkpoint("licence-ledger/elsewhere", t.size, t.root(),
                                           last.time, s.ledger.signer),
        "names the log"),
    "foreign key": (
        lambda s, t, last: sign_checkpoint(last.origin, t.size, t.root(), last.time, FOREIGN),
        "not a ledger key"),
    "signature of another checkpoint": (
        lambda s, t, last: replace(sign_checkpoint(last.origin, t.size, t.root(), last.time,
                                                   s.ledger.signer), signature=last.signature),
        "does not verify"),
    "key hash of another key": (
        lambda s, t, last: replace(sign_checkpoint(last.origin, t.size, t.root(), last.time,
                                                   s.ledger.signer), key_hash=b"abcd"),
        "key hash"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_checkpoint_is_caught(city: Services, clock: FakeClock, name: str) -> None:
    forge, reason = FORGERIES[name]
    last = TransparencyLog(city.store, city.read_db).checkpoints()[-1]
    _append(city, forge(city, _tree(city), last), clock)
    assert any(reason in r for r in _reasons(city)), _reasons(city)


def test_an_event_altered_under_a_checkpoint_is_caught(city: Services) -> None:
    raw = RawEvents(city.settings.database_url)
    row = next(r for r in raw.rows() if r.topic == "LicenceIssued")
    raw.set_state(row.nid, row.state.replace(b"CASE-", b"CASF-"))
    reasons = _reasons(city)
    assert sum("root does not match" in r for r in reasons) == 2, reasons  # both checkpoints


def test_an_event_deleted_under_a_checkpoint_is_caught(city: Services) -> None:
    raw = RawEvents(city.settings.database_url)
    raw.delete(next(r for r in raw.rows() if r.topic == "LicenceIssued").nid)
    reasons = _reasons(city)
    # The checkpoints now claim one leaf more than precedes them (or, with events after
    # them, roots that no longer match): either way they no longer describe the log.
    assert any("claims more leaves" in r or "root does not match" in r for r in reasons)


def test_swapped_checkpoints_are_caught(city: Services) -> None:
    raw = RawEvents(city.settings.database_url)
    first, second = [r for r in raw.rows() if r.topic == "CheckpointPublished"]
    raw.swap_states(first, second)
    reasons = _reasons(city)
    assert any("claims more leaves than" in r for r in reasons), reasons
    assert any("would have shrunk" in r for r in reasons), reasons


def test_a_checkpoint_signed_with_a_retired_key_is_caught(city: Services,
                                                          clock: FakeClock) -> None:
    old = city.ledger.signer
    new = SigningKey("ed25519", hashlib.sha256(b"the next ledger key").digest())
    rotate_ledger_key(MessageBus(Ledger(city.store, new)), old, format_instant(clock.now))
    last = TransparencyLog(city.store, city.read_db).checkpoints()[-1]
    tree = _tree(city)
    _append(city, sign_checkpoint(last.origin, tree.size, tree.root(), last.time, old), clock)
    assert any("after that key was retired" in r for r in _reasons(city))


def test_checkpoints_signed_after_a_rotation_pass(city: Services, clock: FakeClock) -> None:
    old = city.ledger.signer
    new = SigningKey("ed25519", hashlib.sha256(b"the next ledger key").digest())
    rotated = Ledger(city.store, new)
    rotate_ledger_key(MessageBus(rotated), old, format_instant(clock.now))
    clock.advance(minutes=1)
    checkpoint, _ = publish_checkpoint(MessageBus(rotated),
                                       TransparencyLog(city.store, city.read_db),
                                       format_instant(clock.now))
    assert checkpoint.key_id == new.key_id and checkpoint.origin == log_origin(old.key_id)
    assert _reasons(city) == []


def test_the_audit_command_folds_checkpoint_problems_in(
        city: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", city.settings.database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(city.settings.key_file))
    assert main(["audit", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["checkpoints"] == 2 and report["events"] > 0
    last = TransparencyLog(city.store, city.read_db).checkpoints()[-1]
    _append(city, FORGERIES["wrong root, real key"][0](city, _tree(city), last), clock)
    assert main(["audit", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["checkpoints"] == 3
    assert {"ok", "events", "streams", "errors"} <= set(report)
    assert any("root does not match" in e["reason"] for e in report["errors"])
