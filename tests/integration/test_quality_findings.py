"""RecordQualityFinding and CloseQualityFinding through the bus: who may sign, what is
refused, and the read model that tracks each finding to closure (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from commands.bootstrap import Services
from commands.demo.scenario import Dept, Scenario
from ledger.domain.quality import finding_id
from tests.builders import SEED, apply_all, scenario_clock
from tests.conftest import FakeClock


@pytest.fixture
def town(services: Services, clock: FakeClock) -> Scenario:
    s = Scenario(SEED, scenario_clock(clock))
    apply_all(services, clock, s.setup())
    return s


def record(s: Scenario, actor: Dept, issuer: str, check: str = "missing_field",
           subject: str = "1.2.156.3005.2.X", fid: str | None = None) -> dict[str, Any]:
    return s.sign(actor, "RecordQualityFinding", {
        "finding_id": fid or finding_id(issuer, check, subject), "issuer_code": issuer,
        "check": check, "subject": subject, "message": "licence_class is missing"})


def close(s: Scenario, actor: Dept, issuer: str, resolution: str = "fixed", note: str = "",
          subject: str = "1.2.156.3005.2.X") -> dict[str, Any]:
    return s.sign(actor, "CloseQualityFinding", {
        "finding_id": finding_id(issuer, "missing_field", subject), "resolution": resolution,
        **({"note": note} if note else {})})


def one(services: Services, envelope: dict[str, Any]) -> tuple[bool, str | None]:
    result = services.bus.execute([envelope])[0]
    return result.accepted, result.code


def test_finding_recorded_closed_and_reopened(services: Services, town: Scenario) -> None:
    market = town.city.issuers["market"]
    assert one(services, record(town, market, market.code)) == (True, None)
    assert one(services, record(town, market, market.code)) == (False, "already_open")
    assert one(services, close(town, market, market.code)) == (True, None)
    assert one(services, close(town, market, market.code)) == (False, "already_closed")
    services.projections.catch_up()
    rows = services.read_db.query("SELECT status, resolution, closed_by FROM quality_findings")
    assert [tuple(r) for r in rows] == [("closed", "fixed", market.code)]
    # The problem comes back: the same finding is open again.
    assert one(services, record(town, market, market.code)) == (True, None)
    services.projections.catch_up()
    rows = services.read_db.query("SELECT status, resolution FROM quality_findings")
    assert [tuple(r) for r in rows] == [("open", None)]


def test_management_may_record_and_explain(services: Services, town: Scenario) -> None:
    market, mgmt = town.city.issuers["market"], town.city.management
    assert one(services, record(town, mgmt, market.code)) == (True, None)
    assert one(services, close(town, mgmt, market.code, "explained", "old paper format")
               ) == (True, None)


@pytest.mark.parametrize("who", ["health", "user", "platform"])
def test_others_may_not_record_or_close(services: Services, town: Scenario, who: str) -> None:
    market = town.city.issuers["market"]
    actor = {"health": town.city.issuers["health"], "user": town.using_departments[0],
             "platform": town.platform}[who]
    assert one(services, record(town, actor, market.code)) == (False, "unauthorised")
    assert one(services, record(town, market, market.code)) == (True, None)
    assert one(services, close(town, actor, market.code)) == (False, "unauthorised")


@pytest.mark.parametrize(("change", "code"), [
    ({"check": "looks_odd"}, "invalid_command"),
    ({"finding_id": "not-the-right-id"}, "invalid_command"),
    ({"issuer_code": "91320581MA1XK2C3"}, "invalid_command"),
    ({"subject": " "}, "invalid_command"),
    ({"message": "x" * 2001}, "invalid_command"),
    ({"extra": 1}, "invalid_command"),
])
def test_bad_records_are_refused(services: Services, town: Scenario, change: dict[str, Any],
                                 code: str) -> None:
    market = town.city.issuers["market"]
    payload = {"finding_id": finding_id(market.code, "missing_field", "S"),
               "issuer_code": market.code, "check": "missing_field", "subject": "S",
               "message": "m", **change}
    assert one(services, town.sign(market, "RecordQualityFinding", payload)) == (False, code)


@pytest.mark.parametrize(("resolution", "note", "code"), [
    ("ignored", "", "invalid_command"),
    ("explained", "  ", "invalid_command"),
    ("explained", "x" * 2001, "invalid_command"),
])
def test_bad_closures_are_refused(services: Services, town: Scenario, resolution: str,
                                  note: str, code: str) -> None:
    market = town.city.issuers["market"]
    assert one(services, record(town, market, market.code)) == (True, None)
    assert one(services, close(town, market, market.code, resolution, note)) == (False, code)


def test_closing_what_was_never_recorded(services: Services, town: Scenario) -> None:
    market = town.city.issuers["market"]
    assert one(services, close(town, market, market.code)) == (False, "not_found")
