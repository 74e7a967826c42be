"""Licence-file commands: each decodes from its smallest payload, keys its aggregate,
and refuses field by field (commands/messages/files.py)."""

from __future__ import annotations

import pytest

from commands.messages import files
from commands.messages.catalog import decode_payload
from ledger.errors import InvalidCommandError
from tests.unit.commands.messages.payloads import check_command_type, commands_of, payload_for


@pytest.mark.parametrize("name", commands_of(files))
def test_each_file_command_decodes_and_refuses_field_by_field(name: str) -> None:
    check_command_type(name, ("department:", "licence:", "file:"))


def test_a_verification_is_keyed_by_the_file_it_verifies() -> None:
    payload = {**payload_for(files.VerifyLicenceFile), "file_hash": "ab" * 32}
    command = decode_payload("VerifyLicenceFile", payload)
    assert command.partition_key("A") == f"file:{'ab' * 32}"
    assert (command.matter_code, command.case_number) == ("-", "-")  # defaults


def test_a_verifier_reports_at_most_twenty_short_problems() -> None:
    base = payload_for(files.VerifyLicenceFile)
    decode_payload("VerifyLicenceFile", {**base, "problems": ["p"] * 20})
    with pytest.raises(InvalidCommandError, match="too many entries"):
        decode_payload("VerifyLicenceFile", {**base, "problems": ["p"] * 21})
    with pytest.raises(InvalidCommandError, match=r"problems\[0\]"):
        decode_payload("VerifyLicenceFile", {**base, "problems": ["x" * 1001]})
