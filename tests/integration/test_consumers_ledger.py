"""Consumer parts that read the ledger (on SQLite) or make commands: no broker needed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from commands.bootstrap import Services
from commands.bus.pipeline import Result, decode_any
from commands.signed.envelope import SignedCommand, decode_envelope
from consumers.loadgen import LoadGenerator
from consumers.producer import InputError, Signer, partition_key, prepare
from consumers.readiness import missing_dependency
from consumers.records import Incoming
from consumers.results import NOT_APPLIED, DryRun
from ledger.integrity.signing import load_signing_key


@pytest.fixture
def gen() -> LoadGenerator:
    return LoadGenerator(11, start=datetime.now(UTC) - timedelta(seconds=5))


def signed(envelope: dict[str, Any]) -> SignedCommand:
    return decode_envelope(envelope)


def lines(envelopes: list[dict[str, Any]]) -> list[bytes]:
    return [orjson.dumps(e) for e in envelopes]


# -- readiness ------------------------------------------------------------------------------
def test_everything_waits_for_the_genesis_department_but_genesis_itself(
        svc: Services, gen: LoadGenerator) -> None:
    setup = list(gen.scenario.setup())
    assert missing_dependency(svc.ledger, signed(setup[0])) is None
    assert "first (management) department" in (missing_dependency(svc.ledger,
                                                                  signed(setup[1])) or "")


def test_a_command_waits_for_its_actor_and_the_catalogue_entry_it_needs(
        svc: Services, gen: LoadGenerator) -> None:
    setup = list(gen.scenario.setup())
    svc.bus.execute(lines(setup[:1]))  # genesis only
    issue = signed(next(gen.scenario.issue(1)))
    assert missing_dependency(svc.ledger, issue) == f"department {issue.actor} (the actor)"
    departments = [e for e in setup if e["type"] == "RegisterDepartment"]
    svc.bus.execute(lines(departments))
    type_code = issue.raw["payload"]["type_code"]
    assert missing_dependency(svc.ledger, issue) == f"licence type {type_code} in the catalogue"
    svc.bus.execute(lines(setup))
    assert missing_dependency(svc.ledger, issue) is None


def test_a_command_signed_with_an_unregistered_key_waits_for_the_key(
        svc: Services, gen: LoadGenerator) -> None:
    svc.bus.execute(lines(list(gen.scenario.setup())))
    issue = dict(next(gen.scenario.issue(1)))
    issue["key_id"] = "ed25519:" + "0" * 24
    assert (missing_dependency(svc.ledger, signed(issue)) or "").startswith("key ed25519:000")


# -- the load generator ----------------------------------------------------------------------
def test_loadgen_mistakes_are_refused_for_their_reasons_and_the_rest_accepted(
        svc: Services) -> None:
    stream = list(LoadGenerator(3, start=datetime.now(UTC) - timedelta(seconds=5)).stream(
        40, bad_ratio=0.2, today=date(2026, 11, 27)))
    results = svc.bus.execute(lines(stream))
    codes = Counter(r.code for r in results if not r.accepted)
    assert set(codes) == {"bad_signature", "unauthorised", "not_found", "invalid_command"}
    assert 0.12 <= sum(codes.values()) / len(stream) <= 0.28
    assert sum(r.accepted for r in results) == len(stream) - sum(codes.values())


def test_loadgen_is_deterministic_for_a_seed_apart_from_times() -> None:
    start = datetime(2026, 11, 27, 8, tzinfo=UTC)
    one = list(LoadGenerator(5, start).stream(10, 0.3, today=date(2026, 11, 27)))
    two = list(LoadGenerator(5, start).stream(10, 0.3, today=date(2026, 11, 27)))
    assert one == two
    stamps = [e["issued_at"] for e in one]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_loadgen_writes_every_department_key_once(tmp_path: Path, gen: LoadGenerator) -> None:
    written = gen.write_keys(tmp_path)
    assert len(written) == len(gen.scenario.city.departments)
    assert gen.write_keys(tmp_path) == []  # the same keys again: kept, not rewritten
    mgmt = gen.scenario.city.management
    assert load_signing_key(tmp_path / f"{mgmt.code}.pem").key_id == mgmt.key.key_id


def test_loadgen_refuses_an_impossible_ratio(gen: LoadGenerator) -> None:
    with pytest.raises(Exception, match="bad-ratio"):
        list(gen.stream(1, bad_ratio=1.0))


# -- posting: keys and signing -----------------------------------------------------------------
def test_post_keys_each_command_by_its_aggregate(gen: LoadGenerator) -> None:
    issue = next(gen.scenario.issue(1))
    assert partition_key(issue) == signed(issue).partition_key().encode()
    assert partition_key({"command_id": "x", "type": "Nope"}) == b"command:x"


def test_post_signs_unsigned_lines_with_the_actors_key(tmp_path: Path,
                                                       gen: LoadGenerator) -> None:
    gen.write_keys(tmp_path)
    mgmt = gen.scenario.city.management
    unsigned = {"type": "SetUsageList", "actor": mgmt.code,
                "payload": {"code": mgmt.code, "entries": []}}
    signed_line = orjson.dumps(next(gen.scenario.setup()))
    prepared = prepare([(1, orjson.dumps(unsigned)), (2, signed_line)], Signer(tmp_path), "f")
    assert [p.signed_here for p in prepared] == [True, False]
    assert prepared[1].value == signed_line
    envelope = orjson.loads(prepared[0].value)
    assert envelope["key_id"] == mgmt.key.key_id and envelope["signature"]
    assert isinstance(decode_any(prepared[0].value), SignedCommand)


@pytest.mark.parametrize("line, message", [
    (b"{not json", "f:3: not valid JSON"),
    (b"[1, 2]", "f:3: expected a JSON object"),
    (b'{"type": "SetUsageList", "actor": "X", "payload": {}}', "f:3: the command is not signed"),
])
def test_post_refuses_bad_lines_before_posting_anything(line: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        prepare([(3, line)], Signer(None), "f")


def test_post_says_which_key_file_is_missing(tmp_path: Path) -> None:
    line = b'{"type": "SetUsageList", "actor": "X1", "payload": {}}'
    with pytest.raises(InputError, match="no key for actor X1"):
        prepare([(1, line)], Signer(tmp_path), "f")


# -- answering again after a crash ----------------------------------------------------------
def _incoming(values: list[bytes]) -> list[Incoming]:
    return [Incoming("cmds", 0, i, None, v, i) for i, v in enumerate(values)]


def test_dry_run_answers_applied_commands_with_their_original_events(
        svc: Services, gen: LoadGenerator) -> None:
    stream = lines(list(gen.scenario.setup()) + list(gen.scenario.issue(2)))
    original = svc.bus.execute(stream)
    before = svc.store.max_notification_id()
    again = DryRun(svc).answer_applied(_incoming([*stream, b"nonsense"]))
    assert svc.store.max_notification_id() == before  # nothing written
    assert [r.events for r in again[:-1]] == [r.events for r in original]
    assert all(r.accepted and r.duplicate for r in again[:-1])
    assert again[-1].code == "malformed_json"


def test_dry_run_never_accepts_what_was_refused_when_handled(
        svc: Services, gen: LoadGenerator) -> None:
    setup = lines(list(gen.scenario.setup()))
    issue = lines(list(gen.scenario.issue(1)))
    refused: list[Result] = svc.bus.execute(issue)  # before its department existed
    assert not refused[0].accepted
    svc.bus.execute(setup)  # now it would be accepted, but its turn has passed
    answer = DryRun(svc).answer_applied(_incoming(issue))
    assert answer[0].code == NOT_APPLIED and not answer[0].accepted
    assert svc.bus.execute(issue)[0].accepted  # proof the dry run wrote nothing
