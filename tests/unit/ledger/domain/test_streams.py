"""Stream ids: deterministic, distinct per kind and key, and fixed forever
(ledger/domain/streams.py). A stored ledger finds its streams by these ids, so a changed
namespace or key format would orphan every recorded event."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from uuid import UUID, uuid5

import pytest

from ledger.domain import streams

# Stream-id functions with their arity; each gets the same plain key parts.
FUNCTIONS: dict[str, Callable[..., UUID]] = {
    name: fn for name, fn in inspect.getmembers(streams, inspect.isfunction)
    if name.endswith("_stream")
}


def ids(parts: tuple[str, ...]) -> dict[str, UUID]:
    return {name: fn(*parts[:len(inspect.signature(fn).parameters)])
            for name, fn in FUNCTIONS.items()}


def test_the_ids_of_a_recorded_ledger_never_change() -> None:
    assert UUID("6f1d3c52-7a0e-5b8e-9d43-2c1a7e5f0b91") == streams.NAMESPACE
    assert streams.department_stream("X") == UUID("e0743455-f095-5f3b-9d3a-ac6e7f348341")
    assert streams.licence_stream("T", "I", "S") == UUID("f5ac7f42-dd3c-55f2-bb77-f2a51adf89c3")
    assert streams.receipt_stream("c") == UUID("e612b9e1-bc88-5c2b-bcbf-3dbd2c0b7a8e")
    assert streams.registry_stream() == UUID("5e15ab50-c2d6-5dd1-b185-d802f9dee8dc")


def test_every_id_is_a_uuid5_of_kind_and_key() -> None:
    assert streams.grant_stream("g") == uuid5(streams.NAMESPACE, "grant:g")
    assert streams.holder_slot_stream("T", "111", "c") == uuid5(
        streams.NAMESPACE, "holder-slot:T:111:c")
    assert all(i.version == 5 for i in ids(("a", "b", "c", "d")).values())


def test_the_same_key_gives_the_same_id() -> None:
    assert ids(("a", "b", "c", "d")) == ids(("a", "b", "c", "d"))


def test_different_kinds_of_stream_never_share_an_id() -> None:
    found = ids(("a", "b", "c", "d"))
    assert len(set(found.values())) == len(found) >= 17


@pytest.mark.parametrize(("one", "other"), [
    (lambda: streams.department_stream("A"), lambda: streams.department_stream("B")),
    (lambda: streams.licence_stream("T", "I", "S1"),
     lambda: streams.licence_stream("T", "I", "S2")),
    (lambda: streams.licence_stream("T", "I", "S"), lambda: streams.licence_stream("T", "J", "S")),
    (lambda: streams.licence_number_stream("T", "1"),
     lambda: streams.licence_number_stream("U", "1")),
    (lambda: streams.usage_counter_stream("g", "2026-11-27"),
     lambda: streams.usage_counter_stream("g", "2026-11-28")),
    (lambda: streams.paper_count_stream("D", "T", "2026-11"),
     lambda: streams.paper_count_stream("D", "T", "2026-12")),
    (lambda: streams.seal_stream("lane-0"), lambda: streams.seal_stream("lane-1")),
])
def test_different_keys_give_different_ids(one: Callable[[], UUID],
                                           other: Callable[[], UUID]) -> None:
    assert one() != other()


def test_a_licence_lineage_shares_one_stream_across_versions() -> None:
    # The stream is keyed by type, issuer and serial: the version is not part of it.
    params = list(inspect.signature(streams.licence_stream).parameters)
    assert params == ["type_code", "issuer_code", "serial"]
