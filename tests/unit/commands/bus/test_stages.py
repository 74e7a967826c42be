"""The bus's stages that need no ledger: decode, authorise, genesis, and the answers.

The stages that read and write streams (deduplicate, authenticate, handle, save) run in
tests/integration (test_rejections, test_who_signs_*, test_poison_bus, test_replay_*)."""

from __future__ import annotations

import inspect
from typing import Any

import orjson
import pytest

from commands.bus import pipeline
from commands.bus.pipeline import MessageBus, Result, decode_any, internal_error, rejected
from commands.demo.scenario import Scenario
from commands.signed.envelope import SignedCommand, decode_envelope
from ledger.domain.departments import (
    Department,
    GenesisRecorded,
    check_genesis_command,
    genesis,
)
from ledger.errors import (
    InvalidCommandError,
    NotFoundError,
    UnauthorisedError,
    UnknownKeyError,
)

STAGES = ("decode", "deduplicate", "authenticate", "authorise", "handle", "save",
          "save_with_position")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario(11, lambda: "2026-11-27T08:00:00.000000Z")


class NoState:
    """Facts for rules that need none: asking is a failure of the test."""

    def entry(self, type_code: str) -> Any:
        raise AssertionError(f"the rule asked for catalogue entry {type_code}")

    def licence(self, identifier: str) -> Any:
        raise AssertionError(f"the rule asked for licence {identifier}")


def as_department(scenario: Scenario, name: str) -> Department:
    d = next(d for d in scenario.city.departments if d.name == name)
    return Department(d.code, d.name, d.roles, "320581")


def signed(scenario: Scenario, signer: str, command_type: str,
           payload: dict[str, Any]) -> SignedCommand:
    actor = next(d for d in scenario.city.departments if d.name == signer)
    return decode_envelope(scenario.sign(actor, command_type, payload))


# -- the pipeline shows its stages ---------------------------------------------------------
def test_every_stage_is_a_method_of_the_bus_named_so() -> None:
    for stage in STAGES:
        assert callable(getattr(MessageBus, stage)), stage


def test_the_module_says_the_stages_in_their_order() -> None:
    doc = pipeline.__doc__ or ""
    assert "decode ▸ deduplicate ▸ authenticate ▸ authorise ▸ handle ▸ save with position" in doc


def test_one_command_runs_the_stages_in_order() -> None:
    source = inspect.getsource(MessageBus._stages)
    positions = [source.index(f"self.{s}(") for s in STAGES[1:6]]
    assert positions == sorted(positions)


# -- decode ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("item", "code", "command_id"), [
    (None, "malformed_json", "-"),  # a Kafka tombstone
    (b"", "malformed_json", "-"),
    (b"not json", "malformed_json", "-"),
    ("{", "malformed_json", "-"),
    (b"[]", "invalid_command", "-"),
    (b"42", "invalid_command", "-"),
    (b"{}", "invalid_command", "-"),
    (b'{"command_id": "c-1"}', "invalid_command", "c-1"),
    (b'{"command_id": "c-2", "type": "Nope"}', "invalid_command", "c-2"),
    ({"command_id": "c-3"}, "invalid_command", "c-3"),
    ([], "invalid_command", "-"),
])
def test_what_is_no_command_is_answered_not_raised(item: Any, code: str,
                                                   command_id: str) -> None:
    result = decode_any(item)
    assert isinstance(result, Result)
    assert (result.accepted, result.code, result.command_id) == (False, code, command_id)
    assert result.events == () and not result.duplicate


def test_a_line_too_long_is_refused_before_it_is_parsed() -> None:
    line = orjson.dumps({"command_id": "c-9", "pad": "x" * 100})
    result = decode_any(line, max_bytes=50)
    assert isinstance(result, Result)
    assert result.command_id == "-"  # never parsed, not even for its id
    assert result.code == "invalid_command"
    assert f"is {len(line)} bytes long; at most 50 bytes" in (result.message or "")


def test_a_signed_envelope_with_unknown_fields_is_refused(scenario: Scenario) -> None:
    envelope = next(iter(scenario.setup()))
    result = decode_any({**envelope, "priority": "high"})
    assert isinstance(result, Result) and result.code == "invalid_command"
    assert result.command_id == envelope["command_id"]


def test_decode_passes_what_is_decoded_or_answered_through(scenario: Scenario) -> None:
    envelope = next(iter(scenario.setup()))
    command = decode_envelope(envelope)
    answer = Result("c-1", False, "invalid_command", "no")
    assert MessageBus.decode(command) is command
    assert MessageBus.decode(answer) is answer
    decoded = MessageBus.decode(orjson.dumps(envelope))
    assert isinstance(decoded, SignedCommand) and decoded.digest == command.digest


# -- authorise -----------------------------------------------------------------------------
def test_the_authorise_stage_refuses_a_signer_the_policy_does_not_name(
        scenario: Scenario) -> None:
    tax = as_department(scenario, "常熟市税务局")
    market = as_department(scenario, "常熟市市场监督管理局")
    command = signed(scenario, "常熟市税务局", "SetUsageList",
                     {"code": market.code, "entries": []})
    with pytest.raises(UnauthorisedError, match=f"for department {market.code}"):
        MessageBus.authorise(command, tax, NoState())
    MessageBus.authorise(command, market, NoState())
    MessageBus.authorise(command, as_department(scenario, "常熟市行政审批局"), NoState())


def test_the_authorise_stage_refuses_a_catalogue_change_by_an_issuer(
        scenario: Scenario) -> None:
    type_code, definition = next(iter(scenario.city.types.items()))
    command = signed(scenario, "常熟市市场监督管理局", "ReviseLicenceType",
                     {"type_code": type_code, "definition": definition})
    with pytest.raises(UnauthorisedError, match="revising a licence type needs the management"):
        MessageBus.authorise(command, as_department(scenario, "常熟市市场监督管理局"),
                            NoState())


def test_the_authorise_stage_loads_the_licence_a_write_names(scenario: Scenario) -> None:
    command = signed(scenario, "常熟市税务局", "SuspendLicence",
                     {"identifier": "x", "reason": "r"})
    with pytest.raises(AssertionError, match="asked for licence x"):
        MessageBus.authorise(command, as_department(scenario, "常熟市税务局"), NoState())


def test_the_authorise_stage_leaves_reads_to_the_handler(scenario: Scenario) -> None:
    command = signed(scenario, "常熟市政务服务平台", "QueryPublicRegister",
                     {"identifier": "x", "operator": "o", "purpose": "p"})
    MessageBus.authorise(command, as_department(scenario, "常熟市税务局"), NoState())


# -- genesis: a department rule ------------------------------------------------------------
def test_before_genesis_only_a_department_registration_is_accepted() -> None:
    check_genesis_command(True)
    with pytest.raises(UnknownKeyError) as refused:
        check_genesis_command(False)
    assert refused.value.code == "unknown_actor"
    assert "first command must register the management department" in refused.value.message


@pytest.mark.parametrize("roles", [(), ("issuing",), ("using", "platform"),
                                   ("issuing", "using", "platform")])
def test_the_first_department_must_be_the_management_one(roles: tuple[str, ...]) -> None:
    with pytest.raises(InvalidCommandError) as refused:
        genesis("11320581MB0000009X", roles)
    assert refused.value.message == ("payload.roles: the first department registered must be"
                                     " the management one")


def test_genesis_records_the_management_department() -> None:
    assert genesis("11320581MB0000009X", ("issuing", "management")) == GenesisRecorded(
        "11320581MB0000009X")


# -- the answers ---------------------------------------------------------------------------
def test_a_refusal_is_one_line_whatever_its_message() -> None:
    result = rejected("c-1", NotFoundError("a\tb\nc"), "ViewLicence")
    assert result.line() == "c-1\trejected\tnot_found\ta b c"
    assert result.to_json()["status"] == "rejected"
    assert result.to_json()["type"] == "ViewLicence"
    assert "data" not in result.to_json()


def test_an_internal_error_does_not_say_what_was_raised() -> None:
    result = internal_error("c-2", "IssueLicence")
    assert (result.accepted, result.code) == (False, "internal_error")
    assert "not applied" in (result.message or "")
    assert result.line().startswith("c-2\trejected\tinternal_error\t")


def test_an_accepted_answer_lists_its_events_and_data() -> None:
    result = Result("c-3", True, events=(("s", 1), ("t", 2)), data={"k": 1})
    assert result.line() == "c-3\taccepted"
    assert result.to_json()["events"] == [{"stream": "s", "version": 1},
                                          {"stream": "t", "version": 2}]
    assert result.to_json()["data"] == {"k": 1}
    assert result == Result("c-3", True, events=(("s", 1), ("t", 2)))  # data not compared
