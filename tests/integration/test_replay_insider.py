"""An insider with the database and the ledger key rewrites history; the replay catches it.

Each test lets :class:`~tests.integration.replay_insider.Insider` change what a
department's signed command produced and then repair every hash, chain link, seal and
checkpoint, proves that the plain audit (hashes, chains, seals, signatures, checkpoints)
now passes, and expects ``audit --replay`` to name the first row that differs: its stream,
version and notification id. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.replay.report import ReplayReport
from commands.replay.run import replay_store
from ledger.integrity.audit import audit_store
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import load_signing_key
from ledger.transparency.checkpoint_audit import CheckpointAuditor
from ledger.transparency.log import TransparencyLog
from tests.builders import RawEvents, Row, flip
from tests.conftest import FakeClock
from tests.integration.read_city import Sent, build
from tests.integration.replay_insider import Insider


@dataclass
class Town:
    services: Services
    sent: Sent
    insider: Insider

    def rows(self) -> list[Row]:
        return self.insider.rows()

    def plain_audit_passes(self) -> None:
        checkpoints = CheckpointAuditor()
        report = audit_store(self.services.store, observe=checkpoints.observe)
        checkpoints.fold_into(report)
        assert report.ok, report.errors[:3]
        assert checkpoints.checkpoints >= 1

    def replay(self) -> ReplayReport:
        return replay_store(self.services.store)

    def caused_by(self, command_id: str) -> list[Row]:
        return [r for r in self.rows()
                if (r.body()["cause"] or {}).get("command_id") == command_id]


def _publish(services: Services, clock: FakeClock) -> None:
    services.publish_checkpoint(TransparencyLog(services.store, services.read_db),
                                format_instant(clock.now))
    clock.advance(minutes=1)


@pytest.fixture
def town(services: Services, clock: FakeClock, database_url: str) -> Town:
    """The read-model city (issues, lifecycle, reads allowed and refused), then a licence
    suspended and its suspension ended, with checkpoints between: the last batch is the
    end of the suspension."""
    sent = build(services, clock)
    _publish(services, clock)
    market = sent.s.city.issuers["market"]
    live = next(x for x in sent.s.issued if x["status"] == "01" and x["issuer"] == market)
    sent.one(market, "SuspendLicence", {"identifier": live["identifier"], "reason": "check"})
    _publish(services, clock)
    sent.one(market, "EndSuspension", {"identifier": live["identifier"], "reason": "passed"})
    insider = Insider(RawEvents(database_url),
                      [load_signing_key(services.settings.key_file)])
    town = Town(services, sent, insider)
    town.plain_audit_passes()
    report = town.replay()
    assert report.ok, report.divergence
    return town


def assert_caught(report: ReplayReport, row: Row, kind: str, *words: str) -> None:
    d = report.divergence
    assert d is not None, "the replay missed the rewrite"
    assert (d.stream, d.position, d.notification_id, d.kind) == (
        row.stream, row.version, row.nid, kind), d
    for word in words:
        assert word in d.reason, d.reason
    assert report.to_json()["divergence"]["notification_id"] == row.nid


def test_a_clean_history_replays_clean(town: Town) -> None:
    report = town.replay()
    assert report.ok
    rows = town.rows()
    assert report.events == len(rows)
    assert report.commands == sum(1 for r in rows if r.topic == "CommandRecorded")
    assert report.ledger_events >= 3  # the ledger key and two checkpoints
    assert report.events_per_second > 0


def test_rewritten_face_field_of_an_issued_licence(town: Town) -> None:
    issued = next(r for r in town.rows() if r.topic == "LicenceIssued")
    face = issued.body()["data"]["fields"]["face"]
    name = sorted(face)[0]

    def forge(body: dict[str, Any]) -> None:
        body["data"]["fields"]["face"][name] = "冒名顶替有限公司"

    town.insider.edit(issued, forge)
    town.plain_audit_passes()
    assert_caught(town.replay(), issued, "diverged", f"data.fields.face.{name}", "冒名顶替")


def test_a_refused_read_rewritten_as_allowed(town: Town) -> None:
    refused = next(r for r in town.rows()
                   if r.topic == "AccessRecorded" and r.body()["data"]["outcome"] == "refused")

    def allow(body: dict[str, Any]) -> None:
        body["data"]["outcome"] = "allowed"

    town.insider.edit(refused, allow)
    town.plain_audit_passes()
    assert_caught(town.replay(), refused, "diverged", "data.outcome", "'allowed' stored")


def test_a_dropped_event_and_its_place_in_the_receipt(town: Town) -> None:
    ended = [r for r in town.rows() if r.topic == "LicenceSuspensionEnded"][-1]
    *_, receipt = town.caused_by(ended.body()["cause"]["command_id"])
    body = receipt.body()
    body["data"]["events"] = [e for e in body["data"]["events"]
                              if e != [ended.stream, ended.version]]
    town.insider.rewrite({ended.nid: None, receipt.nid: body})
    town.plain_audit_passes()
    assert_caught(town.replay(), receipt, "diverged", "LicenceSuspensionEnded",
                  f"version {ended.version}")


def _insert(town: Town, body: dict[str, Any], before: int = 1,
            edits: dict[int, dict[str, Any] | None] | None = None) -> Row:
    """Insert a row before the last ``before`` rows of the log (they move to new row ids)."""
    moved = town.rows()[-before:]
    raw = town.insider.raw
    for row in moved:
        raw.delete(row.nid)
    raw.append(body["stream"], body["version"], body["type"], b"{}")
    for row in moved:
        raw.append(row.stream, row.version, row.topic, row.state)
    rows = town.rows()
    inserted = rows[-before - 1]
    renumbered = {row.nid: again.nid for row, again in zip(moved, rows[-before:], strict=True)}
    town.insider.rewrite({inserted.nid: body, **{renumbered[n]: b
                                                 for n, b in (edits or {}).items()}})
    return inserted


def test_an_inserted_event_with_no_command_behind_it(town: Town) -> None:
    ended = [r for r in town.rows() if r.topic == "LicenceSuspensionEnded"][-1]
    forged = ended.body()
    forged.update(cause=None, version=ended.version + 1)
    inserted = _insert(town, forged)
    assert_caught(town.replay(), inserted, "no_command", "no command behind it")


def test_an_event_claiming_a_command_that_did_not_produce_it(town: Town) -> None:
    ended = [r for r in town.rows() if r.topic == "LicenceSuspensionEnded"][-1]
    forged = ended.body()  # the same command's cause, signature and all
    forged["version"] = ended.version + 1
    *_, receipt, _seal = town.rows()
    listed = receipt.body()
    listed["data"]["events"].append([ended.stream, ended.version + 1])
    inserted = _insert(town, forged, before=2, edits={receipt.nid: listed})
    town.plain_audit_passes()
    assert_caught(town.replay(), inserted, "diverged", "the replay produces CommandRecorded")


def test_an_event_after_the_last_command_of_its_batch(town: Town) -> None:
    ended = [r for r in town.rows() if r.topic == "LicenceSuspensionEnded"][-1]
    forged = ended.body()
    forged["version"] = ended.version + 1
    inserted = _insert(town, forged)
    assert_caught(town.replay(), inserted, "extra", "no command of its batch produces it")


def test_swapped_order_of_two_commands_on_one_licence(town: Town) -> None:
    """The end of a suspension moved before the suspension: events, receipts, times."""
    ended = [r for r in town.rows() if r.topic == "LicenceSuspensionEnded"][-1]
    suspended = next(r for r in town.rows()
                     if (r.stream, r.version) == (ended.stream, ended.version - 1))
    s_event, s_receipt = town.caused_by(suspended.body()["cause"]["command_id"])
    e_event, e_receipt = town.caused_by(ended.body()["cause"]["command_id"])
    raw = town.insider.raw
    raw.swap_ids(s_receipt.nid, e_receipt.nid)  # a receipt stream holds one receipt
    edits: dict[int, dict[str, Any] | None] = {}
    for event, other in ((s_event, e_event), (e_event, s_event)):
        body = event.body()
        body.update(type=other.topic, cause=other.body()["cause"], data=other.body()["data"])
        raw._run(("UPDATE {table} SET topic = ? WHERE {id} = ?", (other.topic, event.nid)))
        edits[event.nid] = body
    for receipt, place, event in ((e_receipt, s_receipt, s_event),
                                  (s_receipt, e_receipt, e_event)):
        body = receipt.body()
        body["at"] = body["data"]["received_at"] = place.body()["at"]
        body["data"]["events"] = [[event.stream, event.version]]
        edits[place.nid] = body
    town.insider.rewrite(edits)
    town.plain_audit_passes()
    assert_caught(town.replay(), s_event, "diverged", "EndSuspension", "refused on replay")


def test_an_event_naming_a_command_of_another_batch(town: Town) -> None:
    suspended = [r for r in town.rows() if r.topic == "LicenceSuspended"][-1]
    ended = [r for r in town.rows() if r.topic == "LicenceSuspensionEnded"][-1]
    forged = suspended.body()  # the earlier suspension's cause, replayed a batch later
    forged.update(version=ended.version + 1, at=ended.body()["at"])
    inserted = _insert(town, forged)
    assert_caught(town.replay(), inserted, "no_command", "no receipt of that command")


def test_a_receipt_whose_command_cannot_be_decoded(town: Town) -> None:
    *_, receipt, _seal = town.rows()

    def garble(body: dict[str, Any]) -> None:
        body["data"]["command"]["type"] = "ForgeHistory"

    town.insider.edit(receipt, garble)
    assert_caught(town.replay(), receipt, "receipt", "cannot be decoded", "ForgeHistory")


# -- damage, not forgery: reported at its place, never a traceback ---------------------------
def test_an_unreadable_row(town: Town) -> None:
    row = [r for r in town.rows() if r.topic == "LicenceIssued"][3]
    town.insider.raw.set_state(row.nid, flip(row.state, len(row.state) // 2, 0x80))
    assert_caught(town.replay(), row, "unreadable", "unreadable")


def test_rows_after_the_last_seal(town: Town) -> None:
    *_, first, _receipt, seal = town.rows()
    town.insider.raw.delete(seal.nid)
    assert_caught(town.replay(), first, "unsealed", "2 row(s) after the last seal")


def test_a_missing_events_table(town: Town, database_url: str) -> None:
    raw = town.insider.raw
    raw._run(("DROP TABLE {table}" + (" CASCADE" if not raw.sqlite else ""), ()))
    caught = town.replay().divergence
    assert caught is not None and caught.kind == "unreadable"
    assert "cannot be read after notification 0" in caught.reason
