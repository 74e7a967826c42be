"""Catch-up on PostgreSQL with pages overlapped (projections.engine.pipeline): a page is left
running on the server while the next is folded. What must still hold: every event applied
exactly once whatever other runners do, positions never move back, and a failure leaves the
pages before it committed and nothing of its own.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, ClassVar

import pytest

from commands.bootstrap import Services
from commands.demo.scenario import Scenario
from commands.demo.use import use
from ledger.integrity.mapper import Record
from ledger.store.sql import ProjectionDB, ReadModelWriter
from projections.engine.base import PageWrites
from projections.engine.runner import ProjectionRunner, check, table_rows
from projections.registry import all_projections
from tests.builders import SEED, Clock, scenario_clock
from tests.integration.read_city import Sent

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(pg_url: str) -> str:
    return pg_url


def city(services: Services, clock: Clock) -> Sent:
    services.bus.after_commit = None  # only the runners of the test move the read models
    s = Scenario(SEED, scenario_clock(clock))
    sent = Sent(services, clock, s)
    sent.batch(s.setup())
    sent.batch(s.issue(30))
    sent.batch(s.lifecycle(clock.now.date()))
    sent.batch(use(s, clock.now.date(), reads=25))
    return sent


def replayed(services: Services, projections: list[Any], until: int) -> dict[str, Any]:
    fresh = ProjectionRunner(services.store, ProjectionDB("sqlite:///:memory:"), projections)
    fresh.catch_up(until=until)
    return {p.name: table_rows(fresh.db, p) for p in fresh.projections}


def rows_of(runner: ProjectionRunner) -> dict[str, Any]:
    return {p.name: table_rows(runner.db, p) for p in runner.projections}


def test_racing_runners_apply_every_event_once(services: Services, clock: Clock,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("projections.engine.runner.PAGE", 9)
    city(services, clock)
    head = services.store.max_notification_id()
    runners = [ProjectionRunner(services.store, ProjectionDB(services.settings.read_models_url),
                                all_projections()) for _ in range(3)]
    for runner in runners:
        runner.positions()  # each makes the tables before the race (CREATE … IF NOT EXISTS)
    failures: list[BaseException] = []
    observed: list[list[int]] = [[] for _ in runners]

    def run(i: int) -> None:
        try:
            runners[i].catch_up(lambda last, _head: observed[i].append(last))
        except BaseException as exc:  # reported below, with the others'
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(runners))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert not any(t.is_alive() for t in threads)
    assert all(seen == sorted(seen) for seen in observed)  # committed pages only go forward
    for runner in runners:
        assert set(runner.positions().values()) == {head}
    assert rows_of(runners[0]) == replayed(services, all_projections(), head)
    problems = check(services.store, runners[0].db, runners[0].projections,
                     ProjectionDB("sqlite:///:memory:"))
    assert not any(problems.values()), problems
    for runner in runners:
        runner.db.close()


class Refused:
    """A real projection whose writes the server refuses on one event type (a NULL in a
    NOT NULL column): the error comes back only when the client next waits."""

    name: ClassVar[str] = "refused"
    schema_version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {
        "refused_seen": "CREATE TABLE IF NOT EXISTS refused_seen (stream TEXT NOT NULL,"
                        " version BIGINT NOT NULL, type TEXT NOT NULL,"
                        " PRIMARY KEY (stream, version))"}
    indexes: ClassVar[tuple[str, ...]] = ()
    topics: ClassVar[frozenset[str]] = frozenset({"LicenceIssued", "LicenceSuspended",
                                                  "LicenceExpired", "AccessRecorded"})

    def __init__(self, refused: str | None) -> None:
        self.refused = refused

    def apply(self, db: ReadModelWriter, record: Record) -> None:
        self.apply_page(db, [record])

    def apply_page(self, db: ReadModelWriter, records: list[Record]) -> None:
        seen = PageWrites("refused_seen", ("stream", "version", "type"), ("stream", "version"))
        for record in records:
            kind = None if record.type == self.refused else record.type
            seen.insert([record.stream_id, record.version, kind])
        seen.flush(db)


@pytest.mark.parametrize("page", [7, 40])
def test_a_refused_statement_rolls_back_its_page_only(
        services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch, page: int) -> None:
    monkeypatch.setattr("projections.engine.runner.PAGE", page)
    city(services, clock)
    head = services.store.max_notification_id()
    refused = Refused("AccessRecorded")
    runner = ProjectionRunner(services.store, services.read_db, [*all_projections(), refused])
    committed: list[int] = []
    # The page the server refused is rolled back; the refusing projection then stops
    # alone before the event it fails on, and the others go on to the head.
    runner.catch_up(lambda last, _head: committed.append(last))
    assert committed and set(runner.stuck) == {"refused"}
    stuck = runner.stuck["refused"]
    assert "refused_seen" in stuck.error and "NotNullViolation" in stuck.error
    positions = runner.positions()  # the connection is usable again
    stopped = positions["refused"]
    assert 0 < stopped == stuck.notification_id - 1 < head
    assert all(pos == head for name, pos in positions.items() if name != "refused")
    assert rows_of(runner) == replayed(services, all_projections(), head)
    assert table_rows(runner.db, refused) == replayed(services, [Refused(None)], stopped)[
        "refused"]

    refused.refused = None  # fixed: restarted, it resumes where it stopped
    restarted = ProjectionRunner(services.store, services.read_db,
                                 [*all_projections(), refused])
    assert restarted.catch_up() > 0
    assert set(restarted.positions().values()) == {head}
    assert rows_of(restarted) == replayed(services, [*all_projections(), Refused(None)], head)


def test_pages_applied_again_go_again_with_their_conflict_clauses(
        services: Services, clock: Clock, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole pages insert without conflict clauses (the server's cheaper path); events
    applied again (positions set back by hand) make a page meet its own rows: it is rolled
    back, sent again with the clauses, and the rows end as they were. (The first page of a
    run is not whole: the public register's first query starts it.)"""
    monkeypatch.setattr("projections.engine.runner.PAGE", 60)
    city(services, clock)
    runner = services.projections
    head = services.store.max_notification_id()
    assert runner.catch_up() > 0
    before = rows_of(runner)
    services.read_db.execute("UPDATE projection_positions SET position = 0")
    with caplog.at_level(logging.INFO, logger="ledger.projections"):
        assert runner.catch_up() > 0
    assert "sending it again with its conflict clauses" in caplog.text
    assert set(runner.positions().values()) == {head}
    assert rows_of(runner) == before == replayed(services, all_projections(), head)
