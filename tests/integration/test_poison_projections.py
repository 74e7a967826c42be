"""A stored event one read model cannot hold stops that read model alone.

The event is an access record whose operator holds a NUL character, stored the way an
earlier version of the ledger stored it (through the ledger's own unit of work, signed
and sealed; decoding now refuses such text at the door, but what is stored stays).
PostgreSQL text cannot hold NUL: the access log is stuck there, reported with the
event; every other read model goes on, now and as new events arrive. SQLite holds it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from commands.bootstrap import Services
from ledger.domain import streams
from ledger.domain.access import AccessRecorded
from ledger.integrity.canonical import format_instant
from ledger.store.sql import ProjectionDB
from projections.engine.runner import ProjectionRunner
from tests.conftest import FakeClock
from tests.integration.use_town import build_town

pytestmark = pytest.mark.postgres


def store_old_read(services: Services, clock: FakeClock, identifier: str,
                   operator: str) -> int:
    """An allowed read as an older version stored it; returns its notification id."""
    uow = services.ledger.begin(format_instant(clock()))
    uow.emit(streams.access_stream(str(uuid.uuid4())), lambda s, e: e, AccessRecorded(
        action="view", mode="function", outcome="allowed", identifier=identifier,
        licence_stream=None, type_code=None, issuer_code=None, organisation="ORG",
        operator=operator, matter_code="MATTER-001", case_number="CASE-OLD",
        purpose="an old read", grant_id=None, code=None, reason=None, fields_returned=(),
        day=clock().date().isoformat()), None)
    ids = uow.commit()
    return min(ids)


def test_one_read_model_stuck_on_an_event_never_holds_the_others(
        services: Services, clock: FakeClock, database_url: str, tmp_path: Path) -> None:
    town = build_town(services, clock)
    runner = services.projections
    runner.catch_up()
    nid = store_old_read(services, clock, town.ident("001"), "x\u0000y")
    clock.advance(minutes=1)
    town.accept(town.read(town.a, town.ident("001"), "G-A", case="CASE-NEW-1"))
    head = services.store.max_notification_id()

    assert runner.catch_up() >= 0  # never raises for one read model's sake
    positions = runner.positions()
    postgres = database_url.startswith("postgres")
    if not postgres:  # SQLite text holds NUL: nothing is stuck
        assert runner.stuck == {} and set(positions.values()) == {head}
        return
    assert set(runner.stuck) == {"access_log"}
    stuck = runner.stuck["access_log"]
    assert stuck.notification_id == nid and stuck.version == 1 and stuck.stream
    assert "NUL" in stuck.error
    assert positions["access_log"] == nid - 1  # applied up to the event before
    assert all(pos == head for name, pos in positions.items() if name != "access_log")

    # New events keep the others current; the stuck one stays where it stopped.
    clock.advance(minutes=1)
    town.accept(town.read(town.a, town.ident("002"), "G-A", case="CASE-NEW-2"))
    runner.catch_up()
    later = runner.positions()
    assert later["access_log"] == nid - 1
    assert all(pos == services.store.max_notification_id()
               for name, pos in later.items() if name != "access_log")

    # `ledger project --follow`'s loop, on a restarted runner: it finds the stuck one
    # again, reports it, and keeps the others current as events arrive.
    follower = ProjectionRunner(services.store, ProjectionDB(services.settings.read_models_url),
                                runner.all_projections)
    stop = threading.Event()
    thread = threading.Thread(target=follower.follow, args=(stop.is_set, 0.05))
    thread.start()
    try:
        clock.advance(minutes=1)
        town.accept(town.read(town.a, town.ident("003"), "G-A", case="CASE-NEW-3"))
        newest = services.store.max_notification_id()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(  # read on our own connection
                pos == newest for name, pos in runner.positions().items()
                if name != "access_log"):
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert set(follower.stuck) == {"access_log"}
    assert follower.positions()["access_log"] == nid - 1
    assert all(pos == newest for name, pos in follower.positions().items()
               if name != "access_log")
    follower.db.close()

    # `ledger project` says which read model is stuck, where, and exits 1.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_DATABASE_URL=database_url,
               LEDGER_KEY_FILE=str(tmp_path / "ledger-key.pem"))
    run = subprocess.run([sys.executable, "-m", "commands.cli.main", "project"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "access_log" in run.stderr and str(nid) in run.stderr and "Traceback" not in run.stderr
