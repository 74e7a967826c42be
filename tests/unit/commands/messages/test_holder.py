"""Holder and issuer queries: each decodes from its smallest payload, keys its
aggregate, and refuses field by field (commands/messages/holder.py)."""

from __future__ import annotations

import pytest

from commands.messages import holder
from tests.unit.commands.messages.payloads import check_command_type, commands_of


@pytest.mark.parametrize("name", commands_of(holder))
def test_each_holder_command_decodes_and_refuses_field_by_field(name: str) -> None:
    check_command_type(name, ("holder:", "licence:", "issuer:"))
