"""Two licence numbers that look the same are the same number (on a real SQLite ledger).

A number that differs from a held one only in width is a duplicate; one that differs only
by an invisible or look-alike character is refused at decoding, before it can claim a slot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.demo.scenario import Scenario
from ledger.domain.identifiers import make_licence_identifier, make_uscc
from tests.builders import apply_all, build_city, issue_payload, sqlite_services, type_code
from tests.conftest import FakeClock

NUMBER = "营业（2022）第0042号"
HOLDER = {"name": "常熟示例有限公司", "code_type": "001", "code": make_uscc("91320581", "AB12CD34")}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[tuple[Services, Scenario, FakeClock, str]]:
    clock = FakeClock()
    services = sqlite_services(tmp_path, clock)
    scenario = build_city(services, clock, licences=2, lifecycle=False)
    market = scenario.city.issuers["market"]
    apply_all(services, clock, [scenario.sign(market, "IssueLicence", issue_payload(
        scenario, "002", "Q0000001", NUMBER, HOLDER))])
    ident = str(make_licence_identifier(type_code(scenario, "002"), market.code, "Q0000001"))
    yield services, scenario, clock, ident
    services.close()


def _issue(scenario: Scenario, number: str, serial: str = "Q0000002") -> dict[str, Any]:
    holder = {**HOLDER, "code": make_uscc("91320581", "QX98WY76")}
    return scenario.sign(scenario.city.issuers["market"], "IssueLicence",
                         issue_payload(scenario, "002", serial, number, holder))


@pytest.mark.parametrize("number", [
    "营业(2022)第0042号", "营业（２０２２）第００４２号", "营业﹙2022﹚第0042号",
])
def test_a_number_that_differs_only_in_width_is_a_duplicate(
        ledger: tuple[Services, Scenario, FakeClock, str], number: str) -> None:
    services, scenario, _, ident = ledger
    before = services.store.max_notification_id()
    [result] = services.bus.execute([_issue(scenario, number)])
    assert (result.accepted, result.code) == (False, "duplicate_licence_number"), result
    assert ident in (result.message or "")
    assert services.store.max_notification_id() == before


@pytest.mark.parametrize("number, words", [
    ("营业（2022）第0042号\u200b", "U+200B"), ("营业（2022）\u202e第0042号", "U+202E"),
    ("营业（2022）第0042号\ufeff", "U+FEFF"), ("营业（2022）第0042\u0301号", "combining mark"),
    ("营业（2022）第0042号\u00a0", "ordinary space"), ("营业（2022）第 0042号 ", "either end"),
    ("营业（٢٠٢٢）第0042号", "non-ASCII digit"), ("营业（2022）第\u00000042号", "control"),
    ("营业（2022）\u2066第0042号\u2069", "U+2066"), ("营业（2022）第0042号\u3164", "invisible"),
])
def test_a_look_alike_number_is_refused_before_it_claims_anything(
        ledger: tuple[Services, Scenario, FakeClock, str], number: str, words: str) -> None:
    services, scenario, _, _ = ledger
    before = services.store.max_notification_id()
    [result] = services.bus.execute([_issue(scenario, number)])
    assert (result.accepted, result.code) == (False, "invalid_command"), result
    assert "payload.licence_number" in (result.message or "") and words in (result.message or "")
    assert services.store.max_notification_id() == before


def test_changing_to_a_look_alike_of_a_held_number_is_a_duplicate(
        ledger: tuple[Services, Scenario, FakeClock, str]) -> None:
    services, scenario, clock, _ = ledger
    apply_all(services, clock, [_issue(scenario, "营业（2022）第0043号")])
    market = scenario.city.issuers["market"]
    other = str(make_licence_identifier(type_code(scenario, "002"), market.code, "Q0000002"))
    [result] = services.bus.execute([scenario.sign(market, "ChangeLicence", {
        "identifier": other, "kind": "correction", "reason": "typo",
        "changes": {"licence_number": "营业(２０２２)第0042号"}})])
    assert (result.accepted, result.code) == (False, "duplicate_licence_number"), result


@pytest.mark.parametrize("code", ["Ｅ12345678", "E１２345678", "ＡＢ-1"])
def test_a_holder_document_code_in_full_width_is_refused(
        ledger: tuple[Services, Scenario, FakeClock, str], code: str) -> None:
    services, scenario, _, _ = ledger
    holder = {"name": "王五", "code_type": "414", "code": code}
    payload = issue_payload(scenario, "002", "Q0000009", "营业（2022）第0099号", holder)
    [result] = services.bus.execute([scenario.sign(scenario.city.issuers["market"],
                                                   "IssueLicence", payload)])
    assert (result.accepted, result.code) == (False, "invalid_command"), result
    assert "full-width" in (result.message or "")
