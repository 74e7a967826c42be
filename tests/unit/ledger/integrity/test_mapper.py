"""The stored form of an event: canonical bytes chained per stream, and a decoder that
names what is wrong with a damaged row (ledger/integrity/mapper.py)."""

from __future__ import annotations

import hashlib
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from ledger.domain.departments import DepartmentRegistered
from ledger.integrity.mapper import (
    Record,
    RecordFormatError,
    decode_stored,
    encode_record,
    to_stored,
)

STREAM = UUID("e0743455-f095-5f3b-9d3a-ac6e7f348341")
AT = "2026-11-27T08:00:00.000000Z"
EVT = DepartmentRegistered("C", "名称", ("issuing",), "320581")
CAUSE = {"command_id": "c-1", "actor": "C", "key_id": "k", "signature": "c2ln"}


def record(version: int = 1, prev: str | None = None) -> Record:
    return encode_record(STREAM, version, EVT, AT, CAUSE, prev)


def test_the_stored_bytes_are_canonical_json_of_the_seven_fields() -> None:
    rec = record()
    assert rec.raw == (
        b'{"at":"2026-11-27T08:00:00.000000Z","cause":{"actor":"C","command_id":"c-1",'
        b'"key_id":"k","signature":"c2ln"},"data":{"area_code":"320581","code":"C",'
        b'"name":"' + "名称".encode() + b'","roles":["issuing"]},"prev":null,'
        b'"stream":"e0743455-f095-5f3b-9d3a-ac6e7f348341","type":"DepartmentRegistered",'
        b'"version":1}')
    assert rec.hash == hashlib.sha256(rec.raw).hexdigest()
    assert (rec.stream_id, rec.originator_id, rec.originator_version) == (
        str(STREAM), STREAM, 1)


def test_a_record_round_trips_through_its_stored_row() -> None:
    first = record()
    second = record(2, first.hash)
    for rec in (first, second):
        back = decode_stored(to_stored(rec))
        assert back.raw == rec.raw and back.hash == rec.hash and back.event() == EVT
        assert (back.stream, back.version, back.type, back.at, back.cause, back.prev) == (
            rec.stream, rec.version, rec.type, rec.at, rec.cause, rec.prev)
    assert decode_stored(to_stored(second)).prev == first.hash


def test_the_chain_makes_each_record_depend_on_its_predecessor() -> None:
    assert record(2, "a" * 64).hash != record(2, "b" * 64).hash


def row(body: object, stream: UUID = STREAM, version: int = 1,
        topic: str = "DepartmentRegistered") -> StoredEvent:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return StoredEvent(stream, version, topic, raw)


def good_body() -> dict[str, object]:
    body: dict[str, object] = orjson.loads(record().raw)
    return body


@pytest.mark.parametrize(("stored", "fragment"), [
    (row(b"{not json"), "state is not JSON"),
    (row(b"[1,2]"), "state is not a JSON object"),
    (row({k: v for k, v in good_body().items() if k != "prev"}), "lacks or mangles a field"),
    (row({**good_body(), "stream": "not-a-uuid"}), "lacks or mangles a field"),
    (row({**good_body(), "version": "one"}), "lacks or mangles a field"),
    (row(good_body(), stream=UUID(int=1)), "but its bytes say"),
    (row(good_body(), version=2), "row is version 2 but its bytes say 1"),
    (row(good_body(), topic="LicenceIssued"), "row topic LicenceIssued but its bytes say"),
])
def test_a_damaged_row_is_refused_naming_what_is_wrong(stored: StoredEvent,
                                                        fragment: str) -> None:
    with pytest.raises(RecordFormatError, match=fragment):
        decode_stored(stored)


def test_a_row_whose_stream_column_is_text_still_decodes() -> None:
    stored = StoredEvent(str(STREAM), 1, "DepartmentRegistered",  # type: ignore[arg-type]
                         record().raw)
    assert decode_stored(stored).stream == STREAM
