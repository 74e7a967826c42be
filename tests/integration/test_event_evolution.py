"""Event evolution on a ledger written by older code (tests/fixtures/ledger-2026-12-07).

The fixture was written by commit 360f028 and is never regenerated. Today's code must read
it as it is: every stored event re-encodes to its stored bytes, and it audits, replays,
projects and exports clean with no upcaster at all. Then ``LicenceIssued`` gains a field
(a test-only version 2 of the class, with an upcaster from version 1 that supplies the
field's default, swapped in for this test the way a code change would swap it): the same
stored bytes still decode, audit, replay, project and export; new licences are stored at
type version 2 beside the old ones; the old bytes are never rewritten; and code that only
knows version 1 refuses the newer events by name instead of misreading them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

import ledger.integrity.all_events  # noqa: F401 - every stored type decodes
from commands.cli.main import main
from commands.demo.scenario import Scenario
from ledger.archive.package import verify_bag
from ledger.domain import licence, upcasting
from ledger.domain.events import EVENT_TYPES
from ledger.domain.licence import LicenceIssued
from ledger.domain.localtime import beijing_date
from ledger.integrity.canonical import format_instant
from ledger.integrity.mapper import Record, decode_stored, encode_record
from ledger.store.event_store import EventStore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger-2026-12-07"
FIXTURE_EVENTS = 192
# sha256 of every stored event's bytes, in order, each followed by "\n" (see its README)
FIXTURE_SHA256 = "19c0b6194851f96316c0001f5bc86d99558546517b3f04bcfbff726017f588c4"
FIXTURE_SEED = 13  # `ledger demo --seed 13`: the same seed gives the same departments' keys


@dataclass(frozen=True)
class LicenceIssuedV2(LicenceIssued):
    """``LicenceIssued`` as it would be after gaining a field (test only, never committed
    as a real change): where the licence was applied for, "counter" for all before."""

    class_version = 2
    channel: str = "counter"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the fixture, which the CLI below opens through its settings."""
    shutil.copyfile(FIXTURE / "ledger.db", tmp_path / "ledger.db")
    key = tmp_path / "ledger-key.pem"
    shutil.copyfile(FIXTURE / "ledger-key.pem", key)
    key.chmod(0o600)
    shutil.copytree(FIXTURE / "keys", tmp_path / "keys")
    database_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(key))
    monkeypatch.setenv("LEDGER_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("LEDGER_FILES_DIR", str(tmp_path / "files"))
    return database_url


def _records(url: str) -> list[Record]:
    store = EventStore(url, create_table=False)
    try:
        return [decode_stored(row) for _, row in store.iter_rows()]
    finally:
        store.close()


def _digest(records: list[Record]) -> str:
    return hashlib.sha256(b"".join(r.raw + b"\n" for r in records)).hexdigest()


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    code = main([*args, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    answer: dict[str, Any] = json.loads(out.out)
    return answer


def _audit_replay(capsys: pytest.CaptureFixture[str], events: int) -> None:
    report = _json(capsys, "audit", "--replay")
    assert report["ok"] is True and report["events"] == events, report
    assert report["replay"]["ok"] is True and report["replay"]["events"] == events, report


def _project_and_export(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                        records: list[Record]) -> bytes:
    """Rebuild and check the read models; export and verify the archive of the first
    issuer for every month it issued in; returns the packages' events, concatenated."""
    assert _json(capsys, "project", "--rebuild")["stuck"] == []
    check = _json(capsys, "project", "--check")
    assert check["ok"] is True and not any(check["projections"].values()), check
    issued = [r for r in records if r.type == "LicenceIssued"]
    department = issued[0].data["issuer_code"]
    periods = sorted({beijing_date(r.at).strftime("%Y-%m") for r in issued
                      if r.data["issuer_code"] == department})
    exported = b""
    for period in periods:
        out = tmp_path / f"bag-{period}"
        capsys.readouterr()
        assert main(["archive", "export", "--department", department, "--period", period,
                     "--out", str(out)]) == 0, capsys.readouterr().err
        summary = json.loads(capsys.readouterr().out)
        assert summary["licences"] > 0
        report = verify_bag(out)
        assert report.ok, report.problems
        exported += (out / "data" / "events.jsonl").read_bytes()
    return exported


def test_todays_code_reads_the_fixture_unchanged(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # No upcaster may take part: every type the fixture stores is still at version 1.
    # (The day one of them changes, this test says so; the next one shows the way.)
    monkeypatch.setattr(upcasting, "STEPS", {})
    records = _records(url)
    assert len(records) == FIXTURE_EVENTS and _digest(records) == FIXTURE_SHA256
    for r in records:
        assert r.type_version == 1 and b'"type_version"' not in r.raw
        assert EVENT_TYPES[r.type].class_version == 1, r.type
        again = encode_record(r.stream, r.version, r.event(), r.at, r.cause, r.prev)
        assert again.raw == r.raw, (r.type, r.stream, r.version)
    _audit_replay(capsys, FIXTURE_EVENTS)
    exported = _project_and_export(capsys, tmp_path, records).splitlines()
    assert exported and set(exported) <= {r.raw for r in records}  # the stored bytes
    assert _digest(_records(url)[:FIXTURE_EVENTS]) == FIXTURE_SHA256


@pytest.fixture
def upcasts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Swap in version 2 of LicenceIssued and its upcaster; yields the upcasts made."""
    made: list[str] = []

    def from_v1(data: dict[str, Any]) -> dict[str, Any]:
        made.append(str(data["identifier"]))
        return {**data, "channel": "counter"}

    with monkeypatch.context() as m:
        m.setitem(EVENT_TYPES, "LicenceIssued", LicenceIssuedV2)
        m.setitem(upcasting.STEPS, ("LicenceIssued", 1), from_v1)
        m.setattr(licence, "LicenceIssued", LicenceIssuedV2)  # what the handlers now write
        yield made


def _issue_one_more(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = Scenario(FIXTURE_SEED, lambda: format_instant(datetime.now(UTC)
                                                             - timedelta(seconds=2)))
    list(scenario.issue(12))  # the fixture's twelve; the next serial is new
    path = tmp_path / "more.jsonl"
    path.write_bytes(orjson.dumps(next(scenario.issue(1))) + b"\n")
    capsys.readouterr()
    assert main(["apply", str(path)]) == 0, capsys.readouterr()


def test_the_fixture_survives_licence_issued_gaining_a_field(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], upcasts: list[str]) -> None:
    records = _records(url)
    assert _digest(records) == FIXTURE_SHA256
    issued = [r for r in records if r.type == "LicenceIssued"]
    assert len(issued) == 12
    for r in issued:
        evt = r.event()
        assert isinstance(evt, LicenceIssuedV2) and evt.channel == "counter"
        assert "channel" not in r.data and r.current_data["channel"] == "counter"
    assert sorted(upcasts) == sorted(2 * [r.data["identifier"] for r in issued])

    # The old bytes audit and replay: the handlers now write version 2, which the replay
    # matches against each stored version 1 upcast (and the links chained after them).
    _audit_replay(capsys, FIXTURE_EVENTS)

    # New licences are written at version 2, beside the untouched old events.
    _issue_one_more(tmp_path, capsys)
    records = _records(url)
    assert _digest(records[:FIXTURE_EVENTS]) == FIXTURE_SHA256
    new = [r for r in records[FIXTURE_EVENTS:] if r.type == "LicenceIssued"]
    assert len(new) == 1 and new[0].type_version == 2 and new[0].data["channel"] == "counter"
    assert b'"type_version":2' in new[0].raw
    _audit_replay(capsys, len(records))
    exported = _project_and_export(capsys, tmp_path, records)
    assert new[0].raw in exported.splitlines()  # a version-2 event, exported and verified
    assert _digest(_records(url)[:FIXTURE_EVENTS]) == FIXTURE_SHA256


def test_code_that_knows_only_version_1_refuses_a_newer_event_by_name(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with monkeypatch.context() as m:
        m.setitem(EVENT_TYPES, "LicenceIssued", LicenceIssuedV2)
        m.setitem(upcasting.STEPS, ("LicenceIssued", 1), lambda d: {**d, "channel": "counter"})
        m.setattr(licence, "LicenceIssued", LicenceIssuedV2)
        _issue_one_more(tmp_path, capsys)
    capsys.readouterr()
    assert main(["audit", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    reasons = [e["reason"] for e in report["errors"]]
    assert any("LicenceIssued stored at type version 2, newer than the version 1 this"
               " software knows" in reason for reason in reasons), reasons
    records = _records(url)
    assert _digest(records[:FIXTURE_EVENTS]) == FIXTURE_SHA256
    new = [r for r in records[FIXTURE_EVENTS:] if r.type == "LicenceIssued"]
    assert [r.type_version for r in new] == [2]  # stored as written, never rewritten


def test_the_replay_catches_an_upcaster_that_disagrees_with_the_handler(
        url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Version 1 licences are upcast to channel "phone", but the handler, given the same old
    # command, writes "counter": the upcaster rewrites history, and the replay says where.
    monkeypatch.setitem(EVENT_TYPES, "LicenceIssued", LicenceIssuedV2)
    monkeypatch.setitem(upcasting.STEPS, ("LicenceIssued", 1),
                        lambda d: {**d, "channel": "phone"})
    monkeypatch.setattr(licence, "LicenceIssued", LicenceIssuedV2)
    capsys.readouterr()
    assert main(["audit", "--replay", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True  # the bytes, chains, seals and signatures are all intact
    divergence = report["replay"]["divergence"]
    assert divergence["kind"] == "diverged" and divergence["reason"] == (
        "stored LicenceIssued is not what its command produces on replay: data.channel is"
        " 'phone' stored, 'counter' on replay (stored at type version 1, upcast to 2)")
    assert _digest(_records(url)) == FIXTURE_SHA256
