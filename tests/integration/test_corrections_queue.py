"""The corrections queue with ages and deadlines (Art. 21), on SQLite and PostgreSQL.

Reports are made at chosen instants either side of Beijing midnight (16:00Z); the queue is
read "as of" fixed instants. With the default five working days, a report on Thursday
5 March is due on Thursday 12 March and one on Friday 6 March on Friday 13 March.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.demo.scenario import Dept, Scenario
from ledger.integrity.canonical import parse_instant
from ledger.store.sql import ProjectionDB
from projections.engine.runner import check
from projections.models.corrections_queries import get_corrections
from tests.builders import SEED, apply_all, scenario_clock
from tests.conftest import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 2, 27, 1, 0, tzinfo=UTC))


class Queue:
    def __init__(self, services: Services, clock: FakeClock) -> None:
        self.services, self.clock = services, clock
        self.s = s = Scenario(SEED, scenario_clock(clock))
        apply_all(services, clock, s.setup())
        apply_all(services, clock, s.issue(8))
        self.market, self.health = s.city.issuers["market"], s.city.issuers["health"]
        self.a, self.b = s.using_departments
        self.t001 = [x["identifier"] for x in s.issued if x["type_code"].endswith("001")]

    def at(self, instant: str, actor: Dept, command_type: str, payload: dict[str, Any]) -> None:
        self.clock.now = parse_instant(instant)
        [result] = self.services.bus.execute([self.s.sign(actor, command_type, payload)])
        assert result.accepted, (result.code, result.message)

    def report(self, instant: str, cid: str, reporter: Dept, identifier: str) -> None:
        self.at(instant, reporter, "ReportCorrection", {
            "correction_id": cid, "kind": "error", "type_code": identifier.split(".")[5],
            "issuer_code": identifier.split(".")[6], "description": "the name is misspelt",
            "identifier": identifier})

    def refuse(self, instant: str, cid: str) -> None:
        self.at(instant, self.market, "AnswerCorrection", {
            "correction_id": cid, "outcome": "refused", "reasons": "matches the register"})

    def rows(self, now: str, **kw: Any) -> dict[str, dict[str, Any]]:
        self.services.projections.catch_up()
        data = get_corrections(self.services.read_db, parse_instant(now), **kw)
        return {r["correction_id"]: r for r in data["corrections"]}

    def view(self, now: str, **kw: Any) -> dict[str, tuple[Any, ...]]:
        return {cid: (r["age_days"], r["deadline"], r["overdue"])
                for cid, r in self.rows(now, **kw).items()}


@pytest.fixture
def queue(services: Services, clock: FakeClock) -> Queue:
    q = Queue(services, clock)
    q.report("2026-03-05T15:59:59Z", "X-THU", q.a, q.t001[0])          # Thu 23:59:59 Beijing
    q.report("2026-03-05T16:00:00Z", "X-FRI", q.s.platform, q.t001[1])  # Fri 00:00 Beijing
    q.at("2026-03-05T16:00:01Z", q.b, "ReportCorrection", {
        "correction_id": "X-HEALTH", "kind": "missing", "type_code": q.s.city.management.code
        + "003", "issuer_code": q.health.code, "description": "my certificate never came"})
    return q


def test_open_reports_with_beijing_ages_and_deadlines(queue: Queue) -> None:
    rows = queue.rows("2026-03-12T15:59:59Z")
    assert list(rows) == ["X-THU", "X-FRI", "X-HEALTH"]  # oldest first
    thu, fri, health = rows["X-THU"], rows["X-FRI"], rows["X-HEALTH"]
    assert (thu["reported_at"], thu["reported_on"]) == ("2026-03-05T15:59:59.000000Z",
                                                        "2026-03-05")
    assert (fri["reported_at"], fri["reported_on"]) == ("2026-03-05T16:00:00.000000Z",
                                                        "2026-03-06")
    assert (thu["reporter"], fri["reporter"], health["reporter"]) == (
        queue.a.code, queue.s.platform.code, queue.b.code)
    assert (thu["identifier"], health["identifier"], health["kind"]) == (
        queue.t001[0], None, "missing")
    assert {r["status"] for r in rows.values()} == {"open"}
    assert all(r["outcome"] is None and r["answered_at"] is None for r in rows.values())
    # Thursday 12 March, 23:59:59 in Beijing: the last moment X-THU is on time.
    assert queue.view("2026-03-12T15:59:59Z") == {
        "X-THU": (7, "2026-03-12", False), "X-FRI": (6, "2026-03-13", False),
        "X-HEALTH": (6, "2026-03-13", False)}
    # One second later it is Friday 13 March in Beijing: X-THU is overdue, the others not.
    assert queue.view("2026-03-12T16:00:00Z") == {
        "X-THU": (8, "2026-03-12", True), "X-FRI": (7, "2026-03-13", False),
        "X-HEALTH": (7, "2026-03-13", False)}
    assert list(queue.rows("2026-03-12T16:00:00Z", overdue_only=True)) == ["X-THU"]
    assert list(queue.rows("2026-03-12T15:59:59Z", overdue_only=True)) == []
    # A longer local period moves every deadline (weekends skipped).
    assert queue.view("2026-03-12T16:00:00Z", within=10) == {
        "X-THU": (8, "2026-03-19", False), "X-FRI": (7, "2026-03-20", False),
        "X-HEALTH": (7, "2026-03-20", False)}


def test_filter_by_issuer(queue: Queue) -> None:
    now = "2026-03-12T16:00:00Z"
    assert list(queue.rows(now, issuer=queue.market.code)) == ["X-THU", "X-FRI"]
    assert list(queue.rows(now, issuer=queue.health.code)) == ["X-HEALTH"]
    assert list(queue.rows(now, issuer=queue.s.city.issuers["transport"].code)) == []
    assert list(queue.rows(now, issuer=queue.market.code, overdue_only=True)) == ["X-THU"]


def test_answered_reports_leave_the_open_queue_and_show_with_all(queue: Queue) -> None:
    queue.refuse("2026-03-13T15:00:00Z", "X-FRI")  # Fri 23:00 Beijing: on its last day
    queue.refuse("2026-03-13T16:00:00Z", "X-THU")  # Sat 00:00 Beijing: a day late
    now = "2026-03-16T02:00:00Z"  # Monday 16 March, 10:00 Beijing
    assert queue.view(now) == {"X-HEALTH": (10, "2026-03-13", True)}
    every = queue.rows(now, include_answered=True)
    assert list(every) == ["X-THU", "X-FRI", "X-HEALTH"]
    assert [(r["status"], r["outcome"], r["answered_on"], r["age_days"], r["overdue"])
            for r in every.values()] == [
        ("answered", "refused", "2026-03-14", 9, True),
        ("answered", "refused", "2026-03-13", 7, False),
        ("open", None, None, 10, True)]
    assert every["X-THU"]["answered_at"] == "2026-03-13T16:00:00.000000Z"
    assert every["X-FRI"]["reasons"] == "matches the register"
    assert list(queue.rows(now, include_answered=True, overdue_only=True)) == [
        "X-THU", "X-HEALTH"]
    assert list(queue.rows(now, issuer=queue.market.code)) == []


def test_the_queue_equals_a_fresh_replay(queue: Queue) -> None:
    queue.refuse("2026-03-09T01:00:00Z", "X-THU")
    queue.services.projections.catch_up()
    corrections = [p for p in queue.services.projections.projections
                   if p.name == "corrections"]
    problems = check(queue.services.store, queue.services.read_db, corrections,
                     ProjectionDB("sqlite:///:memory:"))
    assert problems == {"corrections": []}
