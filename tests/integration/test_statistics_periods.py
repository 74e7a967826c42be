"""The statistics read model counts uses by Beijing month, and its usage rate divides cases
by cases of the same matters (DOMAIN.md §8), on SQLite and on PostgreSQL.

Beijing is UTC+08:00 all year: 2026-01-31T15:59:59.999999Z is still 31 January there,
2026-01-31T16:00:00Z is already 1 February. Reads are made through the bus at those very
instants; the expected figures are written out by hand from the commands below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.demo.scenario import Scenario
from ledger.domain.localtime import beijing_date, beijing_period
from ledger.store.sql import ProjectionDB
from projections.engine.runner import check
from projections.models.use_queries import get_stats
from projections.registry import all_projections
from tests.builders import SEED, scenario_clock
from tests.conftest import FakeClock

LAST_UTC_INSTANT_OF_JANUARY = datetime(2026, 1, 31, 15, 59, 59, 999999, tzinfo=UTC)
FIRST_UTC_INSTANT_OF_FEBRUARY = datetime(2026, 1, 31, 16, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 30, 8, 0, tzinfo=UTC))


@pytest.mark.parametrize(("instant", "period"), [
    ("2026-01-31T15:59:59.999999Z", "2026-01"),
    ("2026-01-31T16:00:00.000000Z", "2026-02"),
    ("2026-01-31T17:00:00.000000Z", "2026-02"),
    ("2026-12-31T16:00:00.000000Z", "2027-01"),
    ("2026-03-31T23:59:59.000000Z", "2026-04"),
    ("2026-04-30T15:59:59.000000Z", "2026-04"),
    ("2026-02-01T00:00:00+08:00", "2026-02"),
])
def test_a_month_is_a_beijing_month(instant: str, period: str) -> None:
    assert beijing_period(instant) == period


class City:
    """A using department reading one licence type through the bus at chosen instants."""

    def __init__(self, services: Services, clock: FakeClock) -> None:
        self.services, self.clock = services, clock
        self.s = Scenario(SEED, scenario_clock(clock))
        self.send(list(self.s.setup()) + list(self.s.issue(4)))
        self.user = self.s.using_departments[0]
        self.licence = self.s.issued[0]
        self.type_code = self.licence["type_code"]
        today = clock.now.date()
        self.send([self.s.sign(self.s.city.management, "GrantFunctionalUse", {
            "grant_id": "F-USER", "department": self.user.code, "type_codes": [self.type_code],
            "fields": [], "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=60)).isoformat(), "daily_cap": None,
            "scenarios": ["MATTER-001"]})])

    def send(self, envelopes: list[dict[str, Any]]) -> None:
        for result in self.services.bus.execute(envelopes):
            assert result.accepted, (result.command_type, result.code, result.message)

    def at(self, moment: datetime) -> City:
        self.clock.now = moment
        return self

    def verify(self, case: str) -> None:
        self.send([self.s.sign(self.user, "VerifyLicence", {
            "identifier": self.licence["identifier"], "mode": "function", "grant_id": "F-USER",
            "matter_code": "MATTER-001", "case_number": case, "operator": "o",
            "purpose": "p"})])

    def download_by_consent(self, case: str) -> None:
        """An allowed use in MATTER-002, a matter the department never reports cases of."""
        grant = f"K-{case}"
        today = beijing_date(self.clock.now).isoformat()
        self.send([
            self.s.sign(self.s.platform, "GrantHolderConsent", {
                "grant_id": grant, "identifier": self.licence["identifier"],
                "holder_code": self.s.holder_of(self.licence["identifier"]),
                "grantee": self.user.code, "rights": ["download"], "matter_code": "MATTER-002",
                "valid_from": today, "valid_until": today}),
            self.s.sign(self.user, "DownloadLicence", {
                "identifier": self.licence["identifier"], "mode": "consent",
                "grant_id": grant, "matter_code": "MATTER-002", "case_number": case,
                "operator": "o", "purpose": "p"})])

    def report_cases(self, period: str, cases: int) -> None:
        self.send([self.s.sign(self.user, "ReportCaseCount", {
            "matter_code": "MATTER-001", "type_code": self.type_code, "period": period,
            "cases": cases})])

    def usage(self) -> dict[str, tuple[int, int | None, float | None]]:
        self.services.projections.catch_up()
        return {r["period"]: (r["cases_using_electronic"], r["cases_requiring"],
                              r["usage_rate"])
                for r in get_stats(self.services.read_db, None)["rows"]
                if r["department"] == self.user.code and r["licence_type"] == self.type_code
                and (r["cases_using_electronic"] or r["cases_requiring"] is not None)}


def test_uses_fall_in_the_beijing_month_of_their_instant(services: Services,
                                                         clock: FakeClock) -> None:
    city = City(services, clock)
    city.at(LAST_UTC_INSTANT_OF_JANUARY).verify("JAN-LAST")
    city.at(FIRST_UTC_INSTANT_OF_FEBRUARY).verify("FEB-FIRST")
    city.at(FIRST_UTC_INSTANT_OF_FEBRUARY + timedelta(hours=1)).verify("FEB-17Z")
    city.report_cases("2026-01", 4)
    city.report_cases("2026-02", 5)
    assert city.usage() == {"2026-01": (1, 4, 0.25), "2026-02": (2, 5, 0.4)}


def test_the_usage_rate_counts_only_cases_of_the_reported_matters(services: Services,
                                                                  clock: FakeClock) -> None:
    city = City(services, clock)
    city.at(FIRST_UTC_INSTANT_OF_FEBRUARY)
    for case in ("A", "B"):
        city.verify(case)
        city.download_by_consent(f"CONSENT-{case}")  # another matter: never in the rate
    city.verify("A")  # the same case again: still one case
    city.report_cases("2026-02", 4)
    assert city.usage() == {"2026-02": (2, 4, 0.5)}
    # A use after its month's report enters the numerator too; a later report replaces
    # the earlier one and keeps every use already counted.
    city.verify("C")
    assert city.usage() == {"2026-02": (3, 4, 0.75)}
    city.report_cases("2026-02", 6)
    city.download_by_consent("CONSENT-C")
    assert city.usage() == {"2026-02": (3, 6, 0.5)}
    # No report for the month: no rate, and no numerator either (nothing to divide).
    city.at(FIRST_UTC_INSTANT_OF_FEBRUARY + timedelta(days=29)).verify("MARCH")
    assert "2026-03" not in city.usage()
    city.report_cases("2026-03", 2)
    assert city.usage()["2026-03"] == (1, 2, 0.5)
    problems = check(services.store, services.read_db, all_projections(),
                     ProjectionDB("sqlite:///:memory:"))
    assert not any(problems.values()), problems


def test_the_rate_is_the_same_whatever_the_page_boundaries(
        services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uses and their report land in one page or in separate pages: same figures."""
    services.bus.after_commit = None  # the read models move only when the test says so
    city = City(services, clock)
    city.at(FIRST_UTC_INSTANT_OF_FEBRUARY)
    city.report_cases("2026-02", 3)
    city.verify("A")
    city.download_by_consent("CONSENT-A")
    city.verify("B")
    figures = []
    for page in (1, 2, 3, 2000):
        monkeypatch.setattr("projections.engine.runner.PAGE", page)
        services.projections.rebuild()
        figures.append(city.usage())
    assert figures == [{"2026-02": (2, 3, round(2 / 3, 4))}] * 4
