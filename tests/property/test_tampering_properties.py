"""Any single change to any stored row fails the audit (SQLite).

One ledger is built per module; each example tampers with a fresh copy of its file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.integrity.audit import AuditReport, audit_rows, audit_store
from ledger.store.event_store import EventStore
from tests.builders import RawEvents, Row, build_city, copy_ledger, sqlite_services
from tests.conftest import FakeClock

EXAMPLES = settings(max_examples=30, deadline=None)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Row]]:
    directory = tmp_path_factory.mktemp("ledger")
    clock = FakeClock()
    services = sqlite_services(directory, clock)
    build_city(services, clock, licences=8)
    assert audit_rows(services.store.iter_rows()).ok
    services.close()
    return directory, RawEvents(f"sqlite:///{directory / 'ledger.db'}").rows()


def audit_after(built: tuple[Path, list[Row]], tamper: Callable[[RawEvents], None]) -> AuditReport:
    with tempfile.TemporaryDirectory() as scratch:
        url = copy_ledger(built[0], Path(scratch))
        tamper(RawEvents(url))
        store = EventStore(url, create_table=False)
        try:
            # The store's own by-stream read and the in-memory sort must find the same.
            report = audit_store(store)
            assert report == audit_rows(store.iter_rows())
            return report
        finally:
            store.close()


@st.composite
def byte_flips(draw: st.DrawFn, rows: list[Row]) -> tuple[int, int, int]:
    i = draw(st.integers(0, len(rows) - 1))
    return i, draw(st.integers(0, len(rows[i].state) - 1)), draw(st.integers(1, 255))


@given(data=st.data())
@EXAMPLES
def test_changing_any_byte_of_any_row_fails_the_audit(built: tuple[Path, list[Row]],
                                                       data: st.DataObject) -> None:
    rows = built[1]
    i, index, mask = data.draw(byte_flips(rows))
    changed = bytearray(rows[i].state)
    changed[index] ^= mask
    report = audit_after(built, lambda raw: raw.set_state(rows[i].nid, bytes(changed)))
    assert not report.ok


@given(data=st.data())
@EXAMPLES
def test_deleting_any_row_fails_the_audit(built: tuple[Path, list[Row]],
                                          data: st.DataObject) -> None:
    rows = built[1]
    row = rows[data.draw(st.integers(0, len(rows) - 1))]
    report = audit_after(built, lambda raw: raw.delete(row.nid))
    assert not report.ok


@given(data=st.data())
@EXAMPLES
def test_swapping_the_states_of_any_two_rows_fails_the_audit(built: tuple[Path, list[Row]],
                                                             data: st.DataObject) -> None:
    rows = built[1]
    a, b = data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=2, max_size=2,
                              unique=True))
    report = audit_after(built, lambda raw: raw.swap_states(rows[a], rows[b]))
    assert not report.ok
    named = {(e.stream, e.position) for e in report.errors}
    assert (rows[a].stream, rows[a].version) in named
    assert (rows[b].stream, rows[b].version) in named
