"""Daily caps and grant windows follow Beijing days (UTC+08:00), on SQLite and PostgreSQL.

A read at 15:59:59Z is on the Beijing day it looks like; a read at 16:00:00Z is already on
the next one. Under UTC days the cap would reset eight hours late and a grant would outlive
its last day by eight hours; each case below tells the two rules apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.bus.pipeline import Result
from commands.demo.scenario import Dept, Scenario
from ledger.domain import streams
from ledger.integrity.canonical import parse_instant
from projections.models.use_queries import get_access_log
from tests.builders import SEED, apply_all, scenario_clock
from tests.conftest import FakeClock

MATTER = "MATTER-001"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 2, 27, 1, 0, tzinfo=UTC))


class City:
    def __init__(self, services: Services, clock: FakeClock) -> None:
        self.services, self.clock = services, clock
        self.s = Scenario(SEED, scenario_clock(clock))
        apply_all(services, clock, self.s.setup())
        apply_all(services, clock, self.s.issue(8))
        self.user: Dept = self.s.using_departments[0]
        self.licence = next(x["identifier"] for x in self.s.issued
                            if x["type_code"].endswith("001"))

    def at(self, instant: str, actor: Dept, command_type: str,
           payload: dict[str, Any]) -> tuple[Result, dict[str, Any]]:
        self.clock.now = parse_instant(instant)
        envelope = self.s.sign(actor, command_type, payload)
        [result] = self.services.bus.execute([envelope])
        return result, envelope

    def grant(self, instant: str, grant_id: str, valid_from: str, valid_until: str,
              daily_cap: int | None = None) -> Result:
        return self.at(instant, self.s.city.management, "GrantFunctionalUse", {
            "grant_id": grant_id, "department": self.user.code,
            "type_codes": list(self.s.city.types), "fields": ["company_name"],
            "valid_from": valid_from, "valid_until": valid_until, "daily_cap": daily_cap,
            "scenarios": [MATTER]})[0]

    def read(self, instant: str, grant_id: str, case: str) -> tuple[str | None, str]:
        """(refusal code or None, the Beijing day the access event was recorded on)."""
        result, envelope = self.at(instant, self.user, "ViewLicence", {
            "identifier": self.licence, "mode": "function", "grant_id": grant_id,
            "matter_code": MATTER, "case_number": case, "operator": "officer-1",
            "purpose": "handling an application"})
        [stored] = self.services.store.read_stream(streams.access_stream(envelope["command_id"]))
        return result.code, str(stored.data["day"])


@pytest.fixture
def city(services: Services, clock: FakeClock) -> City:
    return City(services, clock)


def test_cap_reached_at_2359_beijing_is_available_again_at_0000(city: City) -> None:
    assert city.grant("2026-03-02T01:00:00Z", "G-CAP", "2026-03-02", "2026-03-31",
                      daily_cap=2).accepted
    reads = [
        ("2026-03-02T15:00:00Z", None, "2026-03-02"),           # 23:00 Beijing
        ("2026-03-02T15:59:59Z", None, "2026-03-02"),           # 23:59:59 Beijing
        ("2026-03-02T15:59:59.500000Z", "cap_exceeded", "2026-03-02"),
        ("2026-03-02T16:00:00Z", None, "2026-03-03"),           # 00:00 Beijing: a new day
        ("2026-03-03T00:30:00Z", None, "2026-03-03"),           # a new UTC day, same Beijing day
        ("2026-03-03T01:00:00Z", "cap_exceeded", "2026-03-03"),
        ("2026-03-03T16:00:00Z", None, "2026-03-04"),
    ]
    got = [(at, *city.read(at, "G-CAP", f"C-{i}")) for i, (at, _, _) in enumerate(reads)]
    assert got == reads
    city.services.projections.catch_up()
    log = get_access_log(city.services.read_db, user=city.user.code)
    assert [(r["recorded_at"][:19], r["code"]) for r in log if r["grant_id"] == "G-CAP"] == [
        (at[:19], code) for at, code, _ in reads]


def test_grant_window_dates_are_beijing_dates(city: City) -> None:
    assert city.grant("2026-03-02T01:00:00Z", "G-WIN", "2026-03-04", "2026-03-05").accepted
    assert city.read("2026-03-03T15:59:59Z", "G-WIN", "C-1") == (
        "grant_not_yet_valid", "2026-03-03")
    assert city.read("2026-03-03T16:00:00Z", "G-WIN", "C-2") == (None, "2026-03-04")
    assert city.read("2026-03-05T15:59:59Z", "G-WIN", "C-3") == (None, "2026-03-05")
    assert city.read("2026-03-05T16:00:00Z", "G-WIN", "C-4") == ("grant_expired", "2026-03-06")


def test_a_window_that_ended_yesterday_in_beijing_cannot_be_granted(city: City) -> None:
    # 17:00Z on 5 March is 01:00 on 6 March in Beijing: a window ending on the 5th is over.
    late = city.grant("2026-03-05T17:00:00Z", "G-LATE", "2026-03-01", "2026-03-05")
    assert (late.accepted, late.code) == (False, "invalid_command")
    assert "already past" in (late.message or "")
    assert city.grant("2026-03-05T15:59:59Z", "G-JUST", "2026-03-01", "2026-03-05").accepted


def test_expiry_as_of_the_beijing_date_is_not_in_the_future(city: City) -> None:
    # 2026-03-01T17:00Z is 01:00 on 03-02 in Beijing: an expiry as of 03-02 is today's,
    # which the UTC date (03-01) would refuse as recorded in advance.
    ended = next(x for x in city.s.issued if x["until"] and x["until"] < "2026-03-02")
    payload = {"identifier": ended["identifier"], "as_of": "2026-03-02",
               "reason": "validity ended"}
    early, _ = city.at("2026-03-01T15:00:00Z", ended["issuer"], "ExpireLicence", payload)
    assert early.code == "illegal_transition"
    assert "after the ledger's date 2026-03-01" in (early.message or "")
    result, _ = city.at("2026-03-01T17:00:00Z", ended["issuer"], "ExpireLicence", payload)
    assert result.accepted, result.message
