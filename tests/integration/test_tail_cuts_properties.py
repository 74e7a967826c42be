"""A held checkpoint catches any change to the prefix it signed (SQLite, hypothesis).

One ledger is built per module, with a checkpoint a third party keeps and history after
it; each example tampers with a fresh copy of the file (cut the tail anywhere below the
checkpoint, with or without the leaf table; flip a byte; delete or swap rows; edit a
column) and audits it with that checkpoint: the held checkpoint must never pass.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.integrity.audit import AuditReport, audit_store
from ledger.integrity.canonical import format_instant
from ledger.store.event_store import EventStore
from ledger.store.read_database import read_models_url
from ledger.store.sql import ProjectionDB
from ledger.transparency.checkpoint import Checkpoint
from ledger.transparency.checkpoint_audit import CheckpointAuditor, HeldCheckpoint
from ledger.transparency.log import TransparencyLog, stored_leaves
from tests.builders import RawEvents, Row, apply_all, build_city, copy_ledger, sqlite_services
from tests.conftest import FakeClock

EXAMPLES = settings(max_examples=25, deadline=None)
Built = tuple[Path, list[Row], Checkpoint]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    directory = tmp_path_factory.mktemp("held")
    clock = FakeClock()
    services = sqlite_services(directory, clock)
    scenario = build_city(services, clock, licences=6)
    log = TransparencyLog(services.store, services.read_db)
    held, _ = services.publish_checkpoint(log, format_instant(clock.now))
    clock.advance(minutes=1)
    apply_all(services, clock, scenario.issue(2))
    log.catch_up()
    services.close()
    return directory, RawEvents(f"sqlite:///{directory / 'ledger.db'}").rows(), held


def audit_after(built: Built, tamper: Callable[[RawEvents, Path], None]
                ) -> tuple[AuditReport, HeldCheckpoint]:
    with tempfile.TemporaryDirectory() as scratch:
        url = copy_ledger(built[0], Path(scratch))
        tamper(RawEvents(url), Path(scratch) / "ledger.db")
        store, db = EventStore(url, create_table=False), ProjectionDB(read_models_url(url))
        try:
            checkpoints = CheckpointAuditor(built[2], stored_leaves(db))
            report = audit_store(store, observe=checkpoints.observe)
            checkpoints.fold_into(report)
            assert checkpoints.held is not None
            return report, checkpoints.held
        finally:
            store.close()
            db.close()


def _below(built: Built) -> list[Row]:
    return built[1][:built[2].size]


def test_the_untouched_copy_extends_the_held_checkpoint(built: Built) -> None:
    report, held = audit_after(built, lambda raw, db: None)
    assert report.ok and held.ok


@given(data=st.data(), leaves_too=st.booleans())
@EXAMPLES
def test_any_tail_cut_below_the_held_checkpoint_is_caught(built: Built, data: st.DataObject,
                                                          leaves_too: bool) -> None:
    rows = _below(built)
    keep = data.draw(st.integers(0, len(rows) - 2))  # rows kept; at least one is cut

    def cut(raw: RawEvents, path: Path) -> None:
        last = rows[keep - 1].nid if keep else 0
        raw._run(("DELETE FROM {table} WHERE {id} > ?", (last,)))
        if leaves_too:  # the leaf table is in the read models' file (ledger.db-read)
            with closing(sqlite3.connect(f"{path}-read")) as db, db:
                db.execute("DELETE FROM transparency_leaves WHERE notification_id > ?", (last,))
    report, held = audit_after(built, cut)
    assert not report.ok and not held.ok
    assert any(f"holds {keep} events but the held checkpoint signed" in p
               for p in held.problems), held.problems


@given(data=st.data())
@EXAMPLES
def test_any_byte_flip_below_the_held_checkpoint_is_caught(built: Built,
                                                          data: st.DataObject) -> None:
    rows = _below(built)
    row = rows[data.draw(st.integers(0, len(rows) - 1))]
    index = data.draw(st.integers(0, len(row.state) - 1))
    mask = data.draw(st.integers(1, 255))
    changed = bytearray(row.state)
    changed[index] ^= mask
    report, held = audit_after(built, lambda raw, db: raw.set_state(row.nid, bytes(changed)))
    assert not report.ok and not held.ok


@given(data=st.data())
@EXAMPLES
def test_any_deleted_or_swapped_rows_below_the_held_checkpoint_are_caught(
        built: Built, data: st.DataObject) -> None:
    rows = _below(built)
    a, b = data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=2, max_size=2,
                              unique=True))
    if data.draw(st.booleans()):
        report, held = audit_after(built, lambda raw, db: raw.delete(rows[a].nid))
    else:
        report, held = audit_after(built, lambda raw, db: raw.swap_states(rows[a], rows[b]))
    assert not report.ok and not held.ok


@given(data=st.data(), column=st.sampled_from(["originator_id", "originator_version",
                                               "topic", "state"]),
       value=st.sampled_from([None, "", "x", 0, -1, b"\x00"]))
@EXAMPLES
def test_any_column_edit_below_the_held_checkpoint_is_caught(
        built: Built, data: st.DataObject, column: str, value: object) -> None:
    rows = _below(built)
    row = rows[data.draw(st.integers(0, len(rows) - 1))]
    report, held = audit_after(built, lambda raw, db: raw._run(
        (f"UPDATE {{table}} SET {column} = ? WHERE {{id}} = ?", (value, row.nid))))
    assert not report.ok
    # A leaf is the stored bytes: an edit of those always changes what the checkpoint
    # signed (the other columns are the audit's to check against the bytes, as above).
    assert column != "state" or not held.ok
