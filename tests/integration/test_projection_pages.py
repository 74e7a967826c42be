"""Applying a page of events at once leaves the rows that applying them one at a time
leaves: every read model, on SQLite and on PostgreSQL (there with every batch through the
set-based path), with catalogue revisions in the middle of a page.

The reference is a replay into an in-memory SQLite database one event per page, where the
runner's page folding has nothing to fold.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import orjson
import pytest

from commands.bootstrap import Services
from commands.demo.scenario import Scenario
from commands.demo.use import use
from ledger.integrity.mapper import decode_stored
from ledger.store import sql as db_module
from ledger.store.sql import ProjectionDB
from projections.engine.runner import ProjectionRunner, table_rows
from projections.registry import all_projections
from tests.builders import SEED, scenario_clock
from tests.conftest import FakeClock


def revised(s: Scenario, suffix: str, **changes: Any) -> dict[str, Any]:
    type_code = s.city.management.code + suffix
    definition = {**orjson.loads(orjson.dumps(s.city.types[type_code])), **changes}
    return s.sign(s.city.management, "ReviseLicenceType",
                  {"type_code": type_code, "definition": definition})


def build(services: Services, clock: FakeClock) -> None:
    s = Scenario(SEED, scenario_clock(clock))
    today = clock.now.date()
    parts: list[list[dict[str, Any]]] = [
        list(s.setup()), list(s.issue(12)),
        [revised(s, "004", disclosure="public", public_fields=["vehicle_plate"]),
         revised(s, "001", public_fields=["company_name"])],
        list(s.issue(12)), list(s.lifecycle(today)), list(use(s, today, reads=30)),
        [revised(s, "004", disclosure="restricted", public_fields=[])], list(s.issue(6))]
    for lic in s.issued[:6]:  # renewals after the lifecycle: a version that resets status
        parts.append([s.sign(lic["issuer"], "ChangeLicence", {
            "identifier": lic["identifier"], "kind": "renewal", "reason": "renewal",
            "changes": {"valid_from": today.isoformat(),
                        "valid_until": (today + timedelta(days=400)).isoformat()}})])
    for part in parts:
        services.bus.execute(part)
        clock.advance(hours=7)
    types = Counter(decode_stored(row).type for _, row in services.store.iter_rows())
    assert types["LicenceTypeRevised"] == 3, types
    assert types["LicenceVersioned"] >= 4, types
    assert types["AccessRecorded"] >= 30, types


@pytest.mark.parametrize("page", [2000, 37])
def test_pages_leave_the_rows_events_one_by_one_leave(
        services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        page: int) -> None:
    services.bus.after_commit = None
    build(services, clock)
    head = services.store.max_notification_id()
    monkeypatch.setattr(db_module, "BATCH_FROM", 1)
    monkeypatch.setattr("projections.engine.runner.PAGE", page)
    assert services.projections.rebuild() > 0
    monkeypatch.setattr("projections.engine.runner.PAGE", 1)
    reference = ProjectionRunner(services.store, ProjectionDB("sqlite:///:memory:"),
                                 all_projections())
    reference.catch_up(until=head)
    for p in all_projections():
        got, want = table_rows(services.read_db, p), table_rows(reference.db, p)
        assert got == want, p.name
    public = services.read_db.query("SELECT COUNT(*) FROM public_licences")[0][0]
    assert public > 0
