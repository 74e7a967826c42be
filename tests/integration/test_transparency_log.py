"""The transparency log on a real ledger (SQLite and PostgreSQL): leaves, proofs, checkpoints."""

from __future__ import annotations

import base64
import itertools
from uuid import UUID

import psycopg
import pytest

from commands.bootstrap import Services, bootstrap
from commands.settings import load_settings
from ledger.domain import streams
from ledger.integrity.audit import audit_rows
from ledger.integrity.canonical import format_instant
from ledger.transparency.checkpoint import (
    Checkpoint,
    parse_note,
    verify_checkpoint,
)
from ledger.transparency.checkpoint_audit import CheckpointAuditor
from ledger.transparency.log import LeafTableError, LogRangeError, TransparencyLog
from ledger.transparency.merkle import (
    MerkleTree,
    ProofError,
    hash_leaf,
    verify_consistency,
    verify_inclusion,
)
from tests.builders import RawEvents, apply_all, build_city
from tests.conftest import FakeClock


def _b(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def _keys(services: Services) -> dict[str, tuple[str, bytes]]:
    signer = services.ledger.signer
    return {signer.key_id: (signer.algorithm, signer.public_key)}


def _publish(services: Services, clock: FakeClock) -> tuple[Checkpoint, bool]:
    log = TransparencyLog(services.store, services.read_db)
    result = services.publish_checkpoint(log, format_instant(clock.now))
    clock.advance(minutes=1)
    return result


def _audit(services: Services) -> tuple[list[str], int]:
    checkpoints = CheckpointAuditor()
    report = audit_rows(checkpoints.observe(services.store.iter_rows()))
    checkpoints.fold_into(report)
    return [e.reason for e in report.errors], checkpoints.checkpoints


def test_every_event_is_a_leaf_and_every_proof_verifies(services: Services,
                                                         clock: FakeClock) -> None:
    scenario = build_city(services, clock, licences=12, lifecycle=False)
    head = services.store.max_notification_id()
    first, new = _publish(services, clock)
    assert new and first.size == head
    again, new = _publish(services, clock)
    assert (again, new) == (first, False)  # only its own events were added: no new one
    apply_all(services, clock, scenario.lifecycle(clock.now.date()))
    second, new = _publish(services, clock)
    assert new and second.size > first.size + 2  # the first checkpoint's events are leaves
    log = TransparencyLog(services.store, services.read_db)
    log.catch_up()
    rows = list(services.store.iter_rows())
    assert log.size == len(rows) == second.size + 2
    assert [log.leaf(i) for i in range(len(rows))] == [
        (nid, hash_leaf(bytes(row.state))) for nid, row in rows]
    for cp in (first, second):
        verify_checkpoint(parse_note(cp.note()), _keys(services))
        for index in range(cp.size):
            p = log.inclusion(index, cp.size)
            verify_inclusion(base64.b64decode(p["leaf_hash"]), index, cp.size, _b(p["proof"]),
                             cp.root)
    for m, n in itertools.combinations_with_replacement(range(1, log.size + 1, 7), 2):
        c = log.consistency(m, n)
        verify_consistency(m, n, _b(c["proof"]), base64.b64decode(c["root1"]),
                           base64.b64decode(c["root2"]))
    assert _audit(services) == ([], 2)


def test_forged_proofs_are_refused(services: Services, clock: FakeClock) -> None:
    build_city(services, clock, licences=6, lifecycle=False)
    cp, _ = _publish(services, clock)
    log = TransparencyLog(services.store, services.read_db)
    p = log.inclusion(5, cp.size)
    leaf, proof = base64.b64decode(p["leaf_hash"]), _b(p["proof"])
    forgeries = [
        (hash_leaf(b"forged"), 5, proof), (leaf, 6, proof), (leaf, 5, proof[:-1]),
        (leaf, 5, [*proof, proof[0]]), (leaf, 5, [proof[1], proof[0], *proof[2:]]),
        *[(leaf, 5, [*proof[:i], bytes(32), *proof[i + 1:]]) for i in range(len(proof))],
    ]
    for leaf_hash, index, hashes in forgeries:
        with pytest.raises(ProofError):
            verify_inclusion(leaf_hash, index, cp.size, hashes, cp.root)
    c = log.consistency(3, cp.size)
    for i in range(len(c["proof"])):
        bad = _b(c["proof"])
        bad[i] = bytes(32)
        with pytest.raises(ProofError):
            verify_consistency(3, cp.size, bad, base64.b64decode(c["root1"]), cp.root)


@pytest.mark.parametrize("index, size", [(0, 0), (5, 5), (-1, 3), (0, 10_000)])
def test_impossible_proof_requests_say_why(services: Services, clock: FakeClock,
                                           index: int, size: int) -> None:
    build_city(services, clock, licences=2, lifecycle=False)
    log = TransparencyLog(services.store, services.read_db)
    log.catch_up()
    with pytest.raises(LogRangeError, match="outside"):
        log.inclusion(index, size)
    with pytest.raises(LogRangeError, match="from"):
        log.consistency(size + 1, size)


def test_an_empty_ledger_has_nothing_to_checkpoint(services: Services, clock: FakeClock) -> None:
    with pytest.raises(LogRangeError, match="no events"):
        _publish(services, clock)


def test_publishing_refuses_when_the_log_no_longer_matches(services: Services,
                                                          clock: FakeClock) -> None:
    scenario = build_city(services, clock, licences=4, lifecycle=False)
    _publish(services, clock)
    apply_all(services, clock, scenario.issue(2))
    raw = RawEvents(services.settings.database_url)
    row = next(r for r in raw.rows() if r.topic == "LicenceIssued")
    raw.set_state(row.nid, row.state.replace(b"CASE-", b"CASF-"))
    fresh = TransparencyLog(services.store, services.read_db)
    fresh.db.execute("DELETE FROM transparency_leaves")  # rebuilt from the altered rows
    # Refused before any root is compared: the altered row is not what its seal lists
    # (a leaf table altered under the checkpoint: test_tail_cuts_leaf_table.py).
    with pytest.raises(LeafTableError, match=f"event id {row.nid} is not what the seal"):
        services.publish_checkpoint(fresh, format_instant(clock.now))


def test_a_publisher_with_stale_state_retries_and_stays_consistent(
        services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = build_city(services, clock, licences=4, lifecycle=False)
    _publish(services, clock)  # caches the checkpoint stream and the transparency lane
    other = bootstrap(services.settings, clock=clock, signer=services.ledger.signer)
    try:
        apply_all(services, clock, scenario.issue(1))
        _, new = other.publish_checkpoint(TransparencyLog(other.store, other.read_db),
                                          format_instant(clock.now))
        assert new
    finally:
        other.close()
    apply_all(services, clock, scenario.issue(1))
    conflicts: list[int] = []
    forget = services.ledger.forget

    def counting_forget() -> None:
        conflicts.append(1)
        forget()

    monkeypatch.setattr(services.ledger, "forget", counting_forget)
    third, new = _publish(services, clock)
    assert new and conflicts  # it collided with the other publisher, then looked again
    assert [c.size for c in TransparencyLog(services.store, services.read_db).checkpoints()][
        -1] == third.size
    assert _audit(services) == ([], 3)


@pytest.mark.postgres
def test_leaf_indexes_stay_dense_across_notification_gaps(pg_url: str, tmp_path: object,
                                                          clock: FakeClock) -> None:
    settings = load_settings({"LEDGER_DATABASE_URL": pg_url,
                              "LEDGER_KEY_FILE": f"{tmp_path}/ledger-key.pem"})
    services = bootstrap(settings, clock=clock)
    try:
        scenario = build_city(services, clock, licences=2, lifecycle=False)
        raw = RawEvents(pg_url)
        # A rolled-back insert still consumes notification ids: a gap in the order.
        with psycopg.connect(raw.dsn) as conn:
            conn.execute(f"INSERT INTO {raw.table} (originator_id, originator_version, topic,"
                         " state) VALUES (%s, 1, 'X', 'x')", (UUID(int=1),))
            conn.rollback()
        apply_all(services, clock, scenario.issue(2))
        cp, _ = _publish(services, clock)
        rows = list(services.store.iter_rows())
        nids = [nid for nid, _ in rows]
        assert nids != list(range(1, len(nids) + 1))  # the gap is real
        tree = MerkleTree(hash_leaf(bytes(r.state)) for _, r in rows[:cp.size])
        assert tree.root() == cp.root
        assert _audit(services) == ([], 1)
        assert services.store.read_stream(streams.checkpoint_stream())[0].type == \
            "CheckpointPublished"
    finally:
        services.close()
