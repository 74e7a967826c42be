"""Properties of checkpoints and of the streaming checkpoint audit (hypothesis)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.departments import GenesisRecorded
from ledger.integrity.canonical import format_instant
from ledger.integrity.mapper import encode_record, to_stored
from ledger.integrity.sealing import LedgerKeyRegistered
from ledger.integrity.signing import SigningKey, b64encode
from ledger.transparency.checkpoint import (
    Checkpoint,
    CheckpointError,
    log_origin,
    parse_note,
    sign_checkpoint,
    verify_checkpoint,
)
from ledger.transparency.checkpoint_audit import CheckpointAuditor, CompactRange
from ledger.transparency.merkle import MerkleTree, hash_leaf
from ledger.transparency.merkle.reference import mth

KEY = SigningKey("ed25519", hashlib.sha256(b"property-ledger").digest())
KEYS = {KEY.key_id: ("ed25519", KEY.public_key)}
ORIGIN = log_origin(KEY.key_id)
AT = "2026-11-27T08:00:00.000000Z"

instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1),
                        timezones=st.just(UTC)).map(format_instant)


@given(st.lists(st.binary(min_size=0, max_size=40), max_size=70))
def test_the_audits_compact_range_agrees_with_the_tree_and_the_rfc(data: list[bytes]) -> None:
    leaves = [hash_leaf(d) for d in data]
    compact, tree = CompactRange(), MerkleTree()
    assert compact.root() == tree.root() == mth([])
    for i, leaf in enumerate(leaves, 1):
        compact.append(leaf)
        tree.append(leaf)
        assert compact.root() == tree.root() == mth(leaves[:i])
        assert compact.copy().root() == compact.root() and len(compact.nodes) == i.bit_count()


@given(st.integers(min_value=0, max_value=2**63), st.binary(min_size=32, max_size=32),
       instants)
def test_any_checkpoint_round_trips_and_verifies(size: int, root: bytes, time: str) -> None:
    cp = sign_checkpoint(ORIGIN, size, root, time, KEY)
    assert parse_note(cp.note()) == cp
    verify_checkpoint(parse_note(cp.note()), KEYS)


@settings(max_examples=60)
@given(st.integers(min_value=0, max_value=10**9), st.binary(min_size=32, max_size=32),
       st.data())
def test_any_byte_change_of_any_note_is_refused(size: int, root: bytes, data: Any) -> None:
    note = bytearray(sign_checkpoint(ORIGIN, size, root, AT, KEY).note().encode())
    index = data.draw(st.integers(min_value=0, max_value=len(note) - 1))
    note[index] ^= data.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises((CheckpointError, UnicodeDecodeError)):
        verify_checkpoint(parse_note(bytes(note).decode()), KEYS)


# -- the streaming audit over synthetic logs ---------------------------------------------------
def _row(stream: UUID, version: int, event: Any, prev: str | None) -> Any:
    return to_stored(encode_record(stream, version, event, AT, None, prev))


class _Log:
    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.heads: dict[UUID, tuple[int, str | None]] = {}
        self.checkpoints: list[int] = []  # row positions of checkpoint rows
        registration = LedgerKeyRegistered(KEY.key_id, "ed25519", b64encode(KEY.public_key),
                                           AT, None, None)
        self.add(UUID(int=1), registration)

    def add(self, stream: UUID, event: Any) -> None:
        version, prev = self.heads.get(stream, (0, None))
        record = encode_record(stream, version + 1, event, AT, None, prev)
        self.heads[stream] = (version + 1, record.hash)
        self.rows.append(to_stored(record))

    def tree(self) -> MerkleTree:
        return MerkleTree(hash_leaf(bytes(r.state)) for r in self.rows)

    def checkpoint(self, cp: Checkpoint) -> None:
        self.checkpoints.append(len(self.rows))
        self.add(UUID(int=2), cp.to_event())

    def audit(self) -> list[str]:
        auditor = CheckpointAuditor()
        for nid, row in enumerate(self.rows, 1):
            auditor.row(nid, row)
        return [e.reason for e in auditor.errors]


steps = st.lists(st.one_of(st.integers(min_value=1, max_value=9),  # that many events
                           st.integers(min_value=-3, max_value=0)),  # a checkpoint, lagging
                 min_size=1, max_size=25)


def _honest(plan: list[int]) -> tuple[_Log, list[Checkpoint]]:
    log, published = _Log(), list[Checkpoint]()
    for step in plan:
        if step > 0:
            for _ in range(step):
                log.add(UUID(int=1000 + len(log.rows)), GenesisRecorded("X"))
        else:
            floor = published[-1].size if published else 0
            size = max(floor, len(log.rows) + step)
            cp = sign_checkpoint(ORIGIN, size, log.tree().root(size), AT, KEY)
            published.append(cp)
            log.checkpoint(cp)
    return log, published


@settings(max_examples=60, deadline=None)
@given(steps)
def test_honest_checkpoints_always_pass(plan: list[int]) -> None:
    log, _ = _honest(plan)
    assert log.audit() == []


@settings(max_examples=60, deadline=None)
@given(steps, st.data())
def test_a_changed_checkpoint_is_always_caught(plan: list[int], data: Any) -> None:
    log, published = _honest([*plan, -0])
    which = data.draw(st.integers(min_value=0, max_value=len(published) - 1))
    original = published[which]
    kind = data.draw(st.sampled_from(["root", "size", "signature", "origin"]))
    if kind == "root":
        forged = sign_checkpoint(ORIGIN, original.size, hashlib.sha256(b"x").digest(), AT, KEY)
    elif kind == "size":  # a true root of a longer prefix than precedes the checkpoint
        size = log.checkpoints[which] + data.draw(st.integers(min_value=1, max_value=5))
        tree = log.tree()
        forged = sign_checkpoint(ORIGIN, size, tree.root(min(size, tree.size)), AT, KEY)
    elif kind == "signature":
        forged = replace(original, signature=bytes(64))
    else:
        forged = sign_checkpoint(ORIGIN + "x", original.size, original.root, AT, KEY)
    position = log.checkpoints[which]
    stream, version = log.rows[position].originator_id, log.rows[position].originator_version
    prev = None if version == 1 else "0" * 64  # the chain is the main audit's business
    log.rows[position] = _row(stream, version, forged.to_event(), prev)
    assert any(f"checkpoint of size {forged.size}" in r for r in log.audit())


def test_a_checkpoint_may_lag_behind_its_position_but_not_beyond_the_window(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import ledger.transparency.checkpoint_audit as module

    monkeypatch.setattr(module, "WINDOW", 8)
    log = _Log()
    for i in range(30):
        log.add(UUID(int=5000 + i), GenesisRecorded("X"))
    tree = log.tree()
    log.checkpoint(sign_checkpoint(ORIGIN, 25, tree.root(25), AT, KEY))
    log.checkpoint(sign_checkpoint(ORIGIN, 26, tree.root(26), AT, KEY))
    assert log.audit() == []
    log.checkpoint(sign_checkpoint(ORIGIN, 27, tree.root(27), AT, KEY))
    for i in range(20):
        log.add(UUID(int=6000 + i), GenesisRecorded("X"))
    late = log.tree()
    log.checkpoint(sign_checkpoint(ORIGIN, 28, late.root(28), AT, KEY))
    assert any("lags its own position" in r for r in log.audit())


def test_time_is_free_but_must_be_an_instant() -> None:
    later = format_instant(datetime(2026, 11, 27, tzinfo=UTC) + timedelta(days=400))
    cp = sign_checkpoint(ORIGIN, 3, bytes(32), later, KEY)
    verify_checkpoint(cp, KEYS)
    with pytest.raises(CheckpointError, match="instant"):
        sign_checkpoint(ORIGIN, 3, bytes(32), "yesterday", KEY)
