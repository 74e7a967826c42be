"""Use commands (grants, reads, bulk analysis, corrections, counts): each decodes from
its smallest payload, keys its aggregate, and refuses field by field
(commands/messages/use.py)."""

from __future__ import annotations

import pytest

from commands.messages import use
from commands.messages.catalog import decode_payload
from ledger.errors import InvalidCommandError
from tests.unit.commands.messages.payloads import check_command_type, commands_of, payload_for

PREFIXES = ("grant:", "licence:", "bulk:", "correction:", "paper:", "cases:")


@pytest.mark.parametrize("name", commands_of(use))
def test_each_use_command_decodes_and_refuses_field_by_field(name: str) -> None:
    check_command_type(name, PREFIXES)


def test_reads_of_one_licence_share_its_key_whatever_the_version() -> None:
    keys = set()
    for version in ("001", "002"):
        payload = {**payload_for(use.ViewLicence),
                   "identifier": f"1.2.156.3005.2.T.I.S.{version}.X"}
        keys.add(decode_payload("ViewLicence", payload).partition_key("A"))
    assert len(keys) == 1


def test_a_read_mode_is_text_not_a_number() -> None:
    with pytest.raises(InvalidCommandError, match=r"payload\.mode"):
        decode_payload("ViewLicence", {**payload_for(use.ViewLicence), "mode": 1})
