"""Catalogue, department and licence commands: each decodes from its smallest payload,
keys its aggregate, and refuses field by field (commands/messages/core.py)."""

from __future__ import annotations

import pytest

from commands.messages import core
from commands.messages.base import licence_key
from commands.messages.catalog import COMMAND_TYPES, decode_payload
from commands.messages.files import RecordLicenceFile
from ledger.errors import InvalidCommandError
from tests.unit.commands.messages.payloads import check_command_type, commands_of, payload_for

PREFIXES = ("catalogue:", "department:", "licence:")


@pytest.mark.parametrize("name", commands_of(core))
def test_each_core_command_decodes_and_refuses_field_by_field(name: str) -> None:
    check_command_type(name, PREFIXES)


def test_every_command_module_registers_through_core() -> None:
    # files, holder, quality and use are imported by core itself: one import gives all.
    assert COMMAND_TYPES["RecordLicenceFile"] is RecordLicenceFile
    assert {c.__module__ for c in COMMAND_TYPES.values()} == {
        f"commands.messages.{m}" for m in ("core", "files", "holder", "quality", "use")}


def test_a_licence_is_keyed_by_type_issuer_and_serial_not_by_version() -> None:
    one = licence_key("1.2.156.3005.2.TYPE.ISSUER.SERIAL.001.X")
    assert one == "licence:TYPE.ISSUER.SERIAL"
    assert licence_key("1.2.156.3005.2.TYPE.ISSUER.SERIAL.002.Y") == one
    assert licence_key("not dotted") == "licence:not dotted"  # refused later, keyed anyway


def test_an_issue_is_keyed_like_the_licence_it_creates() -> None:
    issue = decode_payload("IssueLicence", {**payload_for(core.IssueLicence),
                                            "type_code": "TYPE", "serial": "SERIAL"})
    assert issue.partition_key("ISSUER") == licence_key("1.2.156.3005.2.TYPE.ISSUER.SERIAL.001.X")


@pytest.mark.parametrize(("changes", "words"), [
    ({}, "expected one or more of licence_number"),
    ({"type_code": "T"}, "unknown: type_code"),  # not a field a new version may change
    ({"valid_until": "2026-02-30"}, "changes.valid_until"),
])
def test_a_change_names_only_fields_a_version_may_change(changes: dict[str, object],
                                                         words: str) -> None:
    payload = {**payload_for(core.ChangeLicence), "changes": changes}
    with pytest.raises(InvalidCommandError, match=words):
        decode_payload("ChangeLicence", payload)


def test_an_unknown_command_type_is_a_programming_error_here() -> None:
    with pytest.raises(KeyError):
        decode_payload("NoSuchCommand", {})
