"""The projection runner on SQLite and PostgreSQL: rebuilt, checked against a fresh replay,
caught up twice, broken midway through a transaction, two runners at once, and catalogue
revisions that change what is public.
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson
import pytest

from commands.bootstrap import Services
from commands.demo.scenario import Scenario
from commands.demo.use import use
from ledger.integrity.mapper import Record
from ledger.store.sql import ProjectionDB
from projections.engine.runner import ProjectionRunner, check, table_rows
from projections.registry import all_projections
from tests.builders import (
    SEED,
    Clock,
    licence_stream,
    scenario_clock,
)
from tests.integration.read_city import (
    Sent,
    next_identifier,
)


# -- rebuild, check, idempotency -----------------------------------------------------------
def snapshot(runner: ProjectionRunner) -> dict[str, Any]:
    return {p.name: table_rows(runner.db, p) for p in runner.projections}


def test_rebuild_check_and_repeated_catch_up(sent: Sent) -> None:
    services = sent.services
    runner, head = services.projections, services.store.max_notification_id()
    assert set(runner.positions().values()) == {head}
    before = snapshot(runner)
    assert all(any(rows for rows in tables.values()) for tables in before.values())
    assert runner.rebuild() > 0
    assert snapshot(runner) == before
    assert set(runner.positions().values()) == {head}
    problems = check(services.store, services.read_db, runner.projections,
                     ProjectionDB("sqlite:///:memory:"))
    assert set(problems) == {p.name for p in runner.projections}
    assert not any(problems.values()), problems
    assert runner.catch_up() == 0 and runner.catch_up() == 0
    assert set(runner.positions().values()) == {head}
    assert snapshot(runner) == before
    # Replaying every event over rows that already hold them changes nothing.
    services.read_db.execute("UPDATE projection_positions SET position = 0")
    assert runner.catch_up() > 0
    assert snapshot(runner) == before
    assert set(runner.positions().values()) == {head}


def test_check_finds_a_tampered_row(sent: Sent) -> None:
    services = sent.services
    db = services.read_db
    stream = db.query("SELECT stream FROM licences WHERE status = '01' ORDER BY stream")[0][0]
    db.execute("UPDATE licences SET status = '03' WHERE stream = ?", [stream])
    db.execute("DELETE FROM access_log WHERE access_stream = (SELECT MIN(access_stream)"
               " FROM access_log)")
    problems = check(services.store, db, services.projections.projections,
                     ProjectionDB("sqlite:///:memory:"))
    assert problems["licence_state"] == [
        "licences: 1 row(s) not in a fresh replay, 1 row(s) missing"]
    assert problems["access_log"] == ["access_log: 0 row(s) not in a fresh replay,"
                                      " 1 row(s) missing"]
    assert not any(v for k, v in problems.items() if k not in ("licence_state", "access_log"))


# -- crash safety --------------------------------------------------------------------------
class Exploding:
    """A real projection that records what it saw, and fails on one event type."""

    name: ClassVar[str] = "exploding"
    schema_version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {
        "exploding_seen": "CREATE TABLE IF NOT EXISTS exploding_seen (stream TEXT NOT NULL,"
                          " version BIGINT NOT NULL, type TEXT NOT NULL,"
                          " PRIMARY KEY (stream, version))"}
    indexes: ClassVar[tuple[str, ...]] = ()
    topics: ClassVar[frozenset[str]] = frozenset({
        "LicenceIssued", "LicenceVersioned", "LicenceSuspended", "LicenceExpired",
        "AccessRecorded"})

    def __init__(self, fail_on: str | None) -> None:
        self.fail_on = fail_on

    def apply(self, db: ProjectionDB, record: Record) -> None:
        db.execute("INSERT INTO exploding_seen VALUES (?, ?, ?)",
                   [str(record.stream), record.version, record.type])
        if record.type == self.fail_on:
            raise RuntimeError(f"projection failed on {record.type}")


@pytest.mark.parametrize("page", [2000, 7])
def test_a_failure_midway_leaves_rows_and_positions_in_step(
        services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch, page: int) -> None:
    monkeypatch.setattr("projections.engine.runner.PAGE", page)
    s = Scenario(SEED, scenario_clock(clock))
    sent = Sent(services, clock, s)
    sent.batch(s.setup())
    sent.batch(s.issue(20))
    exploding = Exploding(fail_on="AccessRecorded")
    runner = ProjectionRunner(services.store, services.read_db,
                              [*all_projections(), exploding])
    runner.catch_up()
    start = services.store.max_notification_id()
    assert set(runner.positions().values()) == {start}
    services.bus.after_commit = None  # nothing but our runner moves the read models now
    sent.batch(s.lifecycle(clock.now.date()))
    sent.batch(use(s, clock.now.date(), reads=20))
    assert sent.accepted("ExpireLicence", "ChangeLicence") and sent.reads()
    before = snapshot(runner)

    # The failing projection stops alone, just before the event it fails on, and says
    # where; every other one is brought up to the head (projections/engine/stuck.py).
    runner.catch_up()
    head = services.store.max_notification_id()
    assert set(runner.stuck) == {"exploding"}
    stuck = runner.stuck["exploding"]
    assert "AccessRecorded" in stuck.error and stuck.stream and stuck.version == 1
    after = runner.positions()
    assert after["exploding"] == stuck.notification_id - 1
    assert start <= after["exploding"] < head
    assert all(pos == head for name, pos in after.items() if name != "exploding")
    # Rows and positions are in step: each equals a fresh replay up to its position.
    alone = ProjectionRunner(services.store, ProjectionDB("sqlite:///:memory:"),
                             [Exploding(fail_on=None)])
    alone.catch_up(until=after["exploding"])
    assert table_rows(alone.db, exploding) == table_rows(runner.db, exploding)
    others = ProjectionRunner(services.store, ProjectionDB("sqlite:///:memory:"),
                              all_projections())
    others.catch_up(until=head)
    assert snapshot(others) == {p.name: table_rows(runner.db, p) for p in all_projections()}
    runner.catch_up()  # it stays where it stopped; the others stay current
    assert runner.positions() == after

    exploding.fail_on = None  # the bug is fixed: after a restart it resumes where it stopped
    restarted = ProjectionRunner(services.store, services.read_db,
                                 [*all_projections(), exploding])
    assert restarted.catch_up() > 0
    assert set(restarted.positions().values()) == {head} and not restarted.stuck
    assert snapshot(restarted) != before
    problems = check(services.store, services.read_db, restarted.projections,
                     ProjectionDB("sqlite:///:memory:"))
    assert not any(problems.values()), problems


# -- catalogue revisions and concurrent runners ------------------------------------------
def small_city(services: Services, clock: Clock) -> Sent:
    s = Scenario(SEED, scenario_clock(clock))
    sent = Sent(services, clock, s)
    sent.batch(s.setup())
    sent.batch(s.issue(8))
    return sent


def revise(sent: Sent, suffix: str, **changes: Any) -> None:
    type_code = sent.s.city.management.code + suffix
    definition = {**orjson.loads(orjson.dumps(sent.s.city.types[type_code])), **changes}
    sent.one(sent.s.city.management, "ReviseLicenceType",
             {"type_code": type_code, "definition": definition})
    sent.services.projections.catch_up()


def test_narrowing_the_public_fields_hides_them_at_once(services: Services,
                                                        clock: Clock) -> None:
    sent = small_city(services, clock)
    revise(sent, "001", public_fields=["company_name"])
    faces = [orjson.loads(r[0]) for r in services.read_db.query(
        "SELECT face FROM public_licences WHERE type_code = ?",
        [sent.s.city.management.code + "001"])]
    assert faces and all(set(face) == {"company_name"} for face in faces)


def test_a_type_made_public_shows_its_licences(services: Services, clock: Clock) -> None:
    sent = small_city(services, clock)
    revise(sent, "004", disclosure="public", public_fields=["vehicle_plate"])
    lic = next(x for x in sent.s.issued if x["type_code"].endswith("004"))
    sent.one(lic["issuer"], "ChangeLicence", {"identifier": lic["identifier"], "kind": "change",
                                              "reason": "new plate", "changes": {
                                                  "case_number": "PLATE-2"}})
    services.projections.catch_up()
    rows = services.read_db.query("SELECT identifier FROM public_licences WHERE stream = ?",
                                  [str(licence_stream(lic["identifier"]))])
    assert rows == [(next_identifier(lic["identifier"]),)]


def test_two_runners_never_move_a_position_back(services: Services, clock: Clock,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("projections.engine.runner.PAGE", 10)
    services.bus.after_commit = None
    sent = small_city(services, clock)
    sent.batch(sent.s.lifecycle(clock.now.date()))
    head = services.store.max_notification_id()
    other = ProjectionRunner(services.store, ProjectionDB(services.settings.read_models_url),
                             all_projections())
    seen: list[int] = []

    def overtaken(position: int, _head: int) -> None:
        if not seen:
            other.catch_up()  # a follower process finishes while we are on our first page
        seen.append(min(services.projections.positions().values()))

    services.projections.catch_up(overtaken)
    other.db.close()
    assert seen[0] == head and seen == sorted(seen)
