"""The streams a batch fetches before handling: a hint, but a wrong hint costs a query per
command, so each kind of command is checked (commands/bus/prefetch.py)."""

from __future__ import annotations

from typing import Any

from commands.bus.prefetch import streams_of, written_once
from commands.messages.catalog import COMMAND_TYPES
from commands.signed.envelope import SignedCommand, decode_envelope, sign_envelope
from ledger.domain import streams
from ledger.domain.indexes import number_key
from ledger.integrity.signing import SigningKey
from tests.unit.commands.messages.payloads import payload_for

KEY = SigningKey("ed25519", bytes(range(32)))
ACTOR = "11320581MB0000A1XX"
IDENT = "1.2.156.3005.2.TYPE.ISSUER.SERIAL.002.X"
CID = "3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60"


def signed(command_type: str, **payload: Any) -> SignedCommand:
    body = {**payload_for(COMMAND_TYPES[command_type]), **payload}
    return decode_envelope(sign_envelope(KEY, command_type=command_type, actor=ACTOR,
                                         payload=body, issued_at="2026-11-27T08:00:00.000000Z",
                                         command_id=CID))


def test_every_command_fetches_its_receipt_and_its_actor() -> None:
    ids = streams_of(signed("SetUsageList"))
    assert ids[:2] == [streams.receipt_stream(CID), streams.department_stream(ACTOR)]


def test_reads_also_write_an_access_record_once() -> None:
    assert written_once(signed("ViewLicence")) == [streams.receipt_stream(CID),
                                                   streams.access_stream(CID)]
    assert written_once(signed("VerifyLicenceFile")) == [streams.receipt_stream(CID),
                                                         streams.access_stream(CID)]
    assert written_once(signed("SuspendLicence")) == [streams.receipt_stream(CID)]


def test_an_issue_fetches_its_catalogue_entry_lineage_number_and_holder_slots() -> None:
    holders = [{"name": "甲", "code": "H1", "code_type": "999"},
               {"name": "乙", "code": "H2", "code_type": "414"}]
    ids = set(streams_of(signed("IssueLicence", type_code="T", serial="S",
                                licence_number="No.1", holders=holders)))
    assert {streams.catalogue_stream("T"), streams.licence_stream("T", ACTOR, "S"),
            streams.holder_slot_stream("T", "999", "H1"),
            streams.holder_slot_stream("T", "414", "H2")} <= ids
    # Numbers that look alike claim one slot: the full-width spelling is fetched the same.
    wide = set(streams_of(signed("IssueLicence", type_code="T", serial="S",
                                 licence_number="Ｎｏ.１", holders=holders)))
    assert streams.licence_number_stream("T", number_key("No.1")) in ids & wide


def test_a_licence_command_fetches_the_lineage_and_its_type() -> None:
    ids = streams_of(signed("SuspendLicence", identifier=IDENT))
    assert streams.licence_stream("TYPE", "ISSUER", "SERIAL") in ids
    assert streams.catalogue_stream("TYPE") in ids


def test_a_malformed_identifier_fetches_no_licence() -> None:
    ids = streams_of(signed("SuspendLicence", identifier="not.a.licence"))
    assert ids == [streams.receipt_stream(CID), streams.department_stream(ACTOR)]


def test_a_read_under_a_grant_fetches_the_grant() -> None:
    ids = streams_of(signed("ViewLicence", identifier=IDENT, grant_id="G-7"))
    assert streams.grant_stream("G-7") in ids and streams.access_stream(CID) in ids
