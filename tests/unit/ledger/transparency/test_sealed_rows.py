"""Which rows a seal covers before they become transparency leaves."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson
import pytest

from ledger.transparency.sealed_rows import SealMismatch, sealed_prefix


@dataclass(frozen=True)
class Row:
    id: int
    topic: str
    state: bytes


def _batch(first: int, states: list[bytes], listed: list[bytes] | None = None) -> list[Row]:
    rows = [Row(first + i, "LicenceIssued", s) for i, s in enumerate(states)]
    hashes = [hashlib.sha256(s).hexdigest() for s in (states if listed is None else listed)]
    seal = orjson.dumps({"data": {"events": hashes}})
    return [*rows, Row(first + len(states), "BatchSealed", seal)]


def test_rows_up_to_the_last_seal_are_covered_and_the_newest_wait() -> None:
    rows = [*_batch(1, [b"a", b"b"]), *_batch(4, [b"c"]), Row(6, "LicenceIssued", b"d")]
    assert sealed_prefix(rows) == 5
    assert sealed_prefix(rows[5:]) == 0 and sealed_prefix([]) == 0


def test_a_row_its_seal_does_not_list_is_named() -> None:
    rows = _batch(1, [b"a", b"rotten"], listed=[b"a", b"b"])
    with pytest.raises(SealMismatch, match="event id 2 is not what the seal at event id 3"):
        sealed_prefix(rows)


@pytest.mark.parametrize("states, listed", [([b"a", b"b"], [b"a"]), ([b"a"], [b"a", b"b"])],
                         ids=["a row too many", "a row missing"])
def test_a_batch_longer_or_shorter_than_its_seal_is_refused(
        states: list[bytes], listed: list[bytes]) -> None:
    with pytest.raises(SealMismatch):
        sealed_prefix(_batch(1, states, listed))


def test_an_unreadable_seal_is_refused() -> None:
    with pytest.raises(SealMismatch, match="the seal at event id 2 cannot be read"):
        sealed_prefix([Row(1, "LicenceIssued", b"a"), Row(2, "BatchSealed", b"\xff")])


def test_resumed_mid_batch_the_seal_need_only_end_with_the_rows_read() -> None:
    rows = _batch(1, [b"a", b"b", b"c"])[2:]  # started at the third row
    assert sealed_prefix(rows, resumed=True) == 2
    with pytest.raises(SealMismatch):
        sealed_prefix(rows)
