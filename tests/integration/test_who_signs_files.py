"""Who may make an annotated copy (加注件) under a holder's delegation: the same rule as every
delegated read, through the files service and ``MakeAnnotatedCopy``. Every department
here holds a registered file certificate, so only the delegation decides."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from commands.bootstrap import Services
from licence_files.service import CommandRefusedError, Reading, annotate_licence
from tests.conftest import FakeClock
from tests.integration.test_files_pdf import FileCity, build_file_city
from tests.integration.who_signs import AGENT, OTHER_AGENT


@pytest.fixture
def city(services: Services, clock: FakeClock, tmp_path: Path) -> FileCity:
    return build_file_city(services, clock, tmp_path)


def _delegate(city: FileCity, ident: str) -> None:
    s, today = city.scenario, city.clock.now.date()
    city.sign(s.platform, "DelegateUse", {
        "grant_id": "D-1", "identifier": ident, "holder_code": s.holder_of(ident),
        "agent_name": "代理人", "agent_code": AGENT, "matter_code": "MATTER-002",
        "valid_from": today.isoformat(), "valid_until": (today + timedelta(days=7)).isoformat()})


def _copy(city: FileCity, ident: str, actor: str, case: str, agent: str | None,
          auth: str | None) -> bytes:
    reading = Reading(actor, "officer-1", "代办银行开户", "MATTER-002", case, "delegation",
                      "D-1", agent, auth)
    until = (city.clock.now.date() + timedelta(days=10)).isoformat()
    data, _ = annotate_licence(city.services, city.fs, ident, reading, "91320581MA1W0000X1",
                               until, city.now)
    return data


def test_a_copy_under_a_delegation_only_for_the_attested_delegate(city: FileCity) -> None:
    ident = city.identifier()
    city.render(ident)
    _delegate(city, ident)
    s = city.scenario
    refusals = [(d.code, AGENT, "biometric", "unauthorised")
                for d in (*s.city.issuers.values(), *s.using_departments, s.city.management)]
    refusals += [(s.platform.code, OTHER_AGENT, "biometric", "wrong_party"),
                 (s.platform.code, AGENT, None, "agent_not_authenticated")]
    for i, (actor, agent, auth, code) in enumerate(refusals):
        with pytest.raises(CommandRefusedError) as refused:
            _copy(city, ident, actor, f"C-{i}", agent, auth)
        assert refused.value.code == code, refused.value.message
    copy = _copy(city, ident, s.platform.code, "C-OK", AGENT, "certificate")
    answer = city.verify(copy)
    assert answer["verdict"] == "valid", answer["reasons"]
