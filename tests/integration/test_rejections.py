"""Bad commands are refused with their own code and a message naming the field, and write
nothing; on SQLite and PostgreSQL, against a ledger that already holds data."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.bus.pipeline import Result
from commands.demo.scenario import Dept, Scenario
from commands.signed.envelope import sign_envelope
from ledger.domain.identifiers import make_licence_identifier, make_uscc
from ledger.integrity.audit import audit_rows
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey, b64encode
from tests.builders import (
    apply_all,
    build_city,
    current_licence,
    issue_payload,
    type_code,
)
from tests.conftest import FakeClock

HOLDER = {"name": "常熟示例有限公司", "code_type": "001", "code": make_uscc("91320581", "AB12CD34")}
NUMBER = "营业（2022）第0042号"


@dataclass
class City:
    services: Services
    scenario: Scenario
    clock: FakeClock
    licence: str  # type 001 (one live licence per holder), market, HOLDER, NUMBER

    @property
    def market(self) -> Dept:
        return self.scenario.city.issuers["market"]

    def at(self, seconds: float = -1) -> str:
        return format_instant(self.clock.now + timedelta(seconds=seconds))

    def sign(self, actor: Dept, command_type: str, payload: dict[str, Any],
             **envelope: Any) -> dict[str, Any]:
        return sign_envelope(envelope.pop("key", actor.key), command_type=command_type,
                             actor=actor.code, payload=payload,
                             issued_at=envelope.pop("issued_at", self.at()),
                             command_id=envelope.pop("command_id", self.scenario.ids()))

    def issue(self, serial: str = "R0000001", suffix: str = "001", actor: Dept | None = None,
              **overrides: Any) -> dict[str, Any]:
        envelope = {k: overrides.pop(k) for k in ("issued_at", "command_id") if k in overrides}
        holder = {**HOLDER, "code": make_uscc("91320581", "QX98WY76")}
        payload = issue_payload(self.scenario, suffix, serial, f"新号-{serial}", holder)
        return self.sign(actor or self.market, "IssueLicence", {**payload, **overrides},
                         **envelope)

    def suspend(self, identifier: str, actor: Dept | None = None) -> dict[str, Any]:
        return self.sign(actor or self.market, "SuspendLicence",
                         {"identifier": identifier, "reason": "inspection"})


@pytest.fixture
def city(services: Services, clock: FakeClock) -> City:
    scenario = build_city(services, clock, licences=8, lifecycle=False)
    payload = issue_payload(scenario, "001", "Q0000001", NUMBER, HOLDER)
    apply_all(services, clock, [scenario.sign(scenario.city.issuers["market"], "IssueLicence",
                                              payload)])
    ident = str(make_licence_identifier(type_code(scenario, "001"),
                                        scenario.city.issuers["market"].code, "Q0000001", 1))
    return City(services, scenario, clock, ident)


def refused(city: City, item: Any, code: str, *words: str) -> Result:
    """The batch of this one command is refused with ``code`` and writes nothing."""
    before = city.services.store.max_notification_id()
    [result] = city.services.bus.execute([item])
    assert (result.accepted, result.code) == (False, code), result
    for word in words:
        assert word in (result.message or ""), result.message
    assert city.services.store.max_notification_id() == before
    return result


def without(envelope: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in envelope.items() if k != name}


# -- malformed envelopes and payloads: (command, code, words the message must contain) ---------
Case = Callable[[City], tuple[Any, str, tuple[str, ...]]]
MALFORMED: dict[str, Case] = {
    "unknown envelope field": lambda c: ({**c.issue(), "priority": "high"}, "invalid_command",
                                         ("unknown field", "priority")),
    "missing envelope field": lambda c: (without(c.issue(), "key_id"), "invalid_command",
                                         ("missing field", "key_id")),
    "number for text": lambda c: (c.issue(case_number=42), "invalid_command",
                                  ("payload.case_number", "expected text", "integer")),
    "number for envelope text": lambda c: ({**c.issue(), "actor": 91320581}, "invalid_command",
                                           ("command.actor", "expected text")),
    "text for boolean": lambda c: (c.sign(c.market, "CancelLicence", {
        "identifier": c.licence, "reason": "closed", "issued_in_error": "yes"}),
        "invalid_command", ("payload.issued_in_error", "true or false")),
    "float in payload": lambda c: (c.issue(face={"company_name": 1.5, "legal_representative":
                                                 "张三"}),
                                   "invalid_command", ("payload.face.company_name", "decimal")),
    "issued_at not an instant": lambda c: (c.issue(issued_at="27/11/2026 08:00"),
                                           "invalid_command", ("command.issued_at",)),
    "issued_at without zone": lambda c: (c.issue(issued_at="2026-11-27T07:59:00"),
                                         "invalid_command", ("command.issued_at", "time zone")),
    "command_id not a uuid": lambda c: (c.issue(command_id="licence-42"), "invalid_command",
                                        ("command.command_id", "licence-42")),
    "command_id in upper case": lambda c: (
        c.issue(command_id="3F2B8C1E-0D4A-4E57-9B7F-1A2C3D4E5F60"), "invalid_command",
        ("command.command_id", "lower-case")),
    "unknown command type": lambda c: (c.sign(c.market, "GrantAmnesty", {}),
                                       "unknown_command_type", ("command.type", "GrantAmnesty")),
    "30 February": lambda c: (c.issue(issue_date="2026-02-30", valid_from="2026-03-01"),
                              "invalid_command", ("issue_date",)),
    "valid_until before valid_from": lambda c: (c.issue(valid_until="2021-12-31"),
                                                "invalid_command",
                                                ("valid_until", "before valid_from")),
    "bad area code": lambda c: (c.issue(area_code="32058"), "invalid_command",
                                ("payload.area_code", "32058")),
    "unknown face field": lambda c: (c.issue(face={"company_name": "甲", "legal_representative":
                                                   "乙", "shoe_size": "42"}),
                                     "invalid_command", ("payload.face", "shoe_size")),
    "missing required face field": lambda c: (c.issue(face={"company_name": "甲"}),
                                              "invalid_command",
                                              ("payload.face.legal_representative", "required")),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_command_is_refused_naming_the_field(city: City, case: str) -> None:
    item, code, words = MALFORMED[case](city)
    refused(city, item, code, *words)


# -- well-formed commands the ledger must refuse ---------------------------------------------------
def test_unknown_licence(city: City) -> None:
    ghost = str(make_licence_identifier(type_code(city.scenario, "001"), city.market.code,
                                        "NOSUCH01", 1))
    refused(city, city.suspend(ghost), "not_found", ghost)


def test_superseded_identifier(city: City) -> None:
    apply_all(city.services, city.clock, [city.sign(city.market, "ChangeLicence", {
        "identifier": city.licence, "kind": "change", "reason": "moved",
        "changes": {"case_number": "CASE-CHG"}})])
    current = current_licence(city.services, city.licence).identifier
    refused(city, city.suspend(city.licence), "superseded_version", city.licence, current)


def test_another_issuer_may_not_cancel(city: City) -> None:
    health = city.scenario.city.issuers["health"]
    refused(city, city.sign(health, "CancelLicence", {"identifier": city.licence,
                                                      "reason": "closed"}),
            "unauthorised", city.licence, health.code)


def test_issuer_not_in_the_catalogue_entry(city: City) -> None:
    transport = city.scenario.city.issuers["transport"]
    refused(city, city.issue(actor=transport), "unauthorised", transport.code,
            "not among the issuers")


def test_using_department_may_not_issue(city: City) -> None:
    user = city.scenario.using_departments[0]
    refused(city, city.issue(actor=user), "unauthorised", user.code, "issuing role")


def test_only_management_registers_licence_types(city: City) -> None:
    definition = city.scenario.city.types[type_code(city.scenario, "002")]
    command = city.sign(city.market, "RegisterLicenceType", {
        "type_code": city.scenario.city.management.code + "099", "definition": definition})
    refused(city, command, "unauthorised", "management", city.market.code)


def test_revoked_key_is_refused_even_for_a_backdated_command(city: City) -> None:
    old = city.market.key
    new = SigningKey("ed25519", hashlib.sha256(b"market key 2").digest())
    apply_all(city.services, city.clock, [city.sign(city.market, "RegisterDepartmentKey", {
        "code": city.market.code, "public_key": b64encode(new.public_key)})])
    backdated = city.at(-30)  # signed before the revocation (and after the key's registration)
    apply_all(city.services, city.clock, [city.sign(city.market, "RevokeDepartmentKey", {
        "code": city.market.code, "key_id": old.key_id, "reason": "laptop stolen"}, key=new)])
    refused(city, city.suspend(city.licence), "key_not_valid", old.key_id, "revoked")
    refused(city, city.sign(city.market, "SuspendLicence", {
        "identifier": city.licence, "reason": "inspection"}, issued_at=backdated),
        "key_not_valid", old.key_id, "revoked")
    signed_by_new = city.sign(city.market, "SuspendLicence", {
        "identifier": city.licence, "reason": "inspection"}, key=new)
    assert city.services.bus.execute([signed_by_new])[0].accepted
    assert audit_rows(city.services.store.iter_rows()).ok


def test_key_rotated_out_by_its_own_signature_is_refused_afterwards(city: City) -> None:
    old = city.market.key
    new = SigningKey("ed25519", hashlib.sha256(b"market key 2").digest())
    apply_all(city.services, city.clock, [city.sign(city.market, "RotateDepartmentKey", {
        "code": city.market.code, "old_key_id": old.key_id,
        "public_key": b64encode(new.public_key)})])
    refused(city, city.suspend(city.licence), "key_not_valid", old.key_id, "retired")
    # The rotation itself was signed by the old key at the instant it retired it.
    assert audit_rows(city.services.store.iter_rows()).ok


def test_forged_signature(city: City) -> None:
    envelope = city.suspend(city.licence)
    envelope["payload"]["reason"] = "inspectioN"  # one byte changed after signing
    refused(city, envelope, "bad_signature", envelope["command_id"])


def test_unknown_key(city: City) -> None:
    stranger = SigningKey("ed25519", hashlib.sha256(b"nobody").digest())
    refused(city, city.sign(city.market, "SuspendLicence", {
        "identifier": city.licence, "reason": "inspection"}, key=stranger),
        "unknown_key", stranger.key_id, city.market.code)


@pytest.mark.parametrize("number", [NUMBER, "营业(2022)第0042号"])
def test_duplicate_licence_number_whatever_the_bracket_width(city: City, number: str) -> None:
    refused(city, city.issue(licence_number=number), "duplicate_licence_number", number,
            city.licence)


def test_second_live_licence_for_the_same_holder(city: City) -> None:
    refused(city, city.issue(holders=[HOLDER]), "holder_already_licensed", HOLDER["code"],
            city.licence)


def test_command_from_ten_minutes_in_the_future(city: City) -> None:
    refused(city, city.issue(issued_at=city.at(600)), "issued_in_future", "ahead")


def test_reused_command_id_with_another_payload(city: City) -> None:
    first = city.suspend(city.licence)
    apply_all(city.services, city.clock, [first])
    other = city.sign(city.market, "EndSuspension", {"identifier": city.licence,
                                                     "reason": "passed"},
                      command_id=first["command_id"])
    refused(city, other, "command_id_reused", first["command_id"])


def test_repeated_command_returns_the_original_result_and_writes_nothing(city: City) -> None:
    command = city.issue()
    [original] = apply_all(city.services, city.clock, [command])
    before = city.services.store.max_notification_id()
    [again] = city.services.bus.execute([command])
    assert again.accepted and again.duplicate and not original.duplicate
    assert again.events == original.events
    assert city.services.store.max_notification_id() == before


def test_mixed_batch_applies_the_good_and_refuses_the_bad(city: City) -> None:
    health = city.scenario.city.issuers["health"]
    batch = [city.issue("R0000001"), city.issue("R0000002", area_code="32"),
             city.suspend(city.licence), city.suspend(city.licence, actor=health),
             city.issue("R0000003", licence_number=NUMBER)]
    before = city.services.store.max_notification_id()
    results = city.services.bus.execute(batch)
    assert [(r.accepted, r.code) for r in results] == [
        (True, None), (False, "invalid_command"), (True, None), (False, "unauthorised"),
        (False, "duplicate_licence_number")]
    assert city.services.store.max_notification_id() > before
    assert current_licence(city.services, city.licence).status == "02"
    new = str(make_licence_identifier(type_code(city.scenario, "001"), city.market.code,
                                      "R0000001", 1))
    assert current_licence(city.services, new).identifier == new


# -- known bugs, kept as strict expected failures until fixed --------------------------------------
def test_renewal_after_lapse_needs_the_holder_slot_back(city: City) -> None:
    payload = issue_payload(city.scenario, "001", "Q0000002", "营业（2022）第0043号",
                            {**HOLDER, "code": make_uscc("91320581", "EF56GH78")},
                            valid_until="2025-06-30")
    lapsed = str(make_licence_identifier(type_code(city.scenario, "001"), city.market.code,
                                         "Q0000002", 1))
    apply_all(city.services, city.clock, [city.sign(city.market, "IssueLicence", payload)])
    apply_all(city.services, city.clock, [city.sign(city.market, "ExpireLicence", {
        "identifier": lapsed, "reason": "ended", "as_of": city.at()[:10]})])
    successor = {**payload, "serial": "Q0000003", "licence_number": "营业（2026）第0001号",
                 "valid_until": None}
    apply_all(city.services, city.clock, [city.sign(city.market, "IssueLicence", successor)])
    refused(city, city.sign(city.market, "ChangeLicence", {
        "identifier": lapsed, "kind": "renewal", "reason": "renewed late",
        "changes": {"valid_until": "2030-12-31"}}), "holder_already_licensed")


def test_expiry_as_of_a_future_date(city: City) -> None:
    refused(city, city.sign(city.market, "ExpireLicence", {
        "identifier": city.licence, "reason": "ended", "as_of": "2099-01-01"}),
        "illegal_transition", "2099-01-01")
