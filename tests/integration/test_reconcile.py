"""``ledger reconcile``: a hand-made March and April, counted exactly as documented."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.cli.main import main
from commands.demo.scenario import Scenario
from ledger.domain.identifiers import make_licence_identifier, make_uscc
from ledger.integrity.mapper import decode_stored
from ledger.reconciliation.reconcile import Period, Replay
from ledger.reconciliation.report import verify_report
from tests.builders import apply_all, issue_payload, scenario_clock, sign, type_code
from tests.conftest import FakeClock

SEED = 7


class Month:
    """Builds the story; ``ids`` maps a short name (A1, B2…) to its current identifier."""

    def __init__(self, services: Services, clock: FakeClock) -> None:
        clock.now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
        self.services, self.clock = services, clock
        self.scenario = Scenario(SEED, scenario_clock(clock))
        apply_all(services, clock, self.scenario.setup())
        self.market = self.scenario.city.issuers["market"]
        self.ids: dict[str, str] = {}

    def issue(self, name: str, suffix: str, until: str | None = "2026-12-31") -> dict[str, Any]:
        serial = f"RC{name}{suffix}0000"
        holder = {"name": f"企业{name}", "code_type": "001",
                  "code": make_uscc("91320581", f"MA{len(self.ids):06d}")}
        self.ids[name] = str(make_licence_identifier(type_code(self.scenario, suffix),
                                                     self.market.code, serial, 1))
        return sign(self.scenario, self.market, "IssueLicence", issue_payload(
            self.scenario, suffix, serial, f"NO-{name}", holder, issue_date="2026-03-01",
            valid_from="2026-03-01", valid_until=until))

    def act(self, command: str, name: str, **payload: Any) -> dict[str, Any]:
        return sign(self.scenario, self.market, command,
                    {"identifier": self.ids[name], "reason": "test", **payload})

    def run(self, *envelopes: dict[str, Any]) -> None:
        apply_all(self.services, self.clock, envelopes)


@pytest.fixture
def story(services: Services, clock: FakeClock) -> Month:
    m = Month(services, clock)
    m.run(m.issue("A1", "001"), m.issue("A2", "001"), m.issue("A3", "001"),
          m.issue("A4", "001"), m.issue("B1", "002"), m.issue("B2", "002", "2026-04-15"),
          m.issue("B3", "002"))
    m.run(m.act("CancelLicence", "B3", issued_in_error=True))  # void within March
    clock.now = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 00:00 on 1 April in Beijing
    m.run(m.issue("A5", "001"))
    clock.now = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)
    m.run(m.act("ChangeLicence", "A1", kind="change", changes={"case_number": "CHG-1"}),
          m.act("RevokeLicence", "A2"), m.act("CancelLicence", "A3", issued_in_error=False),
          m.act("CancelLicence", "A4", issued_in_error=True), m.act("SuspendLicence", "B1"))
    clock.now = datetime(2026, 5, 2, 2, 0, tzinfo=UTC)
    m.run(m.issue("C1", "001"))  # a later month must not change earlier figures
    return m


# (type suffix, period) -> issued, changed, withdrawn, in force, voided
EXPECTED: dict[tuple[str, str], tuple[int, ...]] = {
    ("001", "2026-03"): (4, 0, 0, 4, 0), ("002", "2026-03"): (2, 0, 0, 2, 1),
    ("001", "2026-04"): (1, 1, 2, 2, 1), ("002", "2026-04"): (0, 0, 0, 1, 0),
}


def _replay(services: Services) -> Replay:
    return Replay().add_all(decode_stored(row) for _, row in services.store.iter_rows())


def test_the_counts_follow_the_documented_definitions(story: Month) -> None:
    replay = _replay(story.services)
    for (suffix, month), expected in EXPECTED.items():
        counts = replay.counts(story.market.code, type_code(story.scenario, suffix),
                               Period.parse(month))
        assert tuple(counts.numbers().values()) == expected, (suffix, month, counts)
    april = replay.counts(story.market.code, type_code(story.scenario, "001"),
                          Period.parse("2026-04"))
    ids = story.ids
    assert [e["identifier"] for e in april.issued] == [ids["A5"]]
    assert [e["identifier"] for e in april.withdrawn] == [ids["A2"], ids["A3"]]
    assert [e["identifier"] for e in april.voided] == [ids["A4"]]
    serials = {e["identifier"].split(".")[7] for e in april.in_force}  # (A1 is version 2 now)
    assert serials == {ids["A1"].split(".")[7], ids["A5"].split(".")[7]}
    assert april.changed[0]["identifier"].split(".")[8] == "002"


def _paper(tmp_path: Path, story: Month,
           rows: Mapping[tuple[str, str], tuple[int, ...]]) -> Path:
    lines = ["department,licence_type,period,issued,changed,withdrawn,in_force"]
    for (suffix, month), counts in rows.items():
        lines.append(",".join([story.market.code, type_code(story.scenario, suffix), month,
                               *map(str, counts[:4])]))
    path = tmp_path / "paper.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cli(story: Month, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("LEDGER_DATABASE_URL", story.services.settings.database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(story.services.settings.key_file))
    return main(list(args))


def test_a_matching_register_exits_0_with_a_signed_report(
        story: Month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    paper = _paper(tmp_path, story, EXPECTED)
    assert _cli(story, monkeypatch, "reconcile", "--paper", str(paper), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    signer = story.services.ledger.signer
    verify_report(report, {signer.key_id: (signer.algorithm, signer.public_key)})
    assert report["ok"] is True and report["mismatches"] == 0 and len(report["rows"]) == 4
    assert report["checkpoint"]["size"] > 0 and report["checkpoint"]["key_id"] == signer.key_id
    assert _cli(story, monkeypatch, "reconcile", "--paper", str(paper)) == 0
    assert "everything matches" in capsys.readouterr().out  # the result: on stdout


def test_every_mismatch_names_its_licences(story: Month, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    rows = dict(EXPECTED)
    rows[("001", "2026-03")] = (3, 0, 0, 4)  # the clerk missed one issue
    rows[("001", "2026-04")] = (1, 1, 1, 3)  # and one withdrawal
    del rows[("002", "2026-04")]  # and forgot a whole row
    paper = _paper(tmp_path, story, rows)
    assert _cli(story, monkeypatch, "reconcile", "--paper", str(paper), "--json") == 1
    report = json.loads(capsys.readouterr().out)
    bad = {(r["licence_type"][-3:], r["period"]): r for r in report["rows"] if not r["matches"]}
    assert set(bad) == {("001", "2026-03"), ("001", "2026-04"), ("002", "2026-04")}
    march = bad[("001", "2026-03")]
    assert march["mismatches"] == ["issued"]
    assert {e["identifier"] for e in march["licences"]["issued"]} == {
        story.ids[n] for n in ("A1", "A2", "A3", "A4")}
    april = bad[("001", "2026-04")]
    assert april["mismatches"] == ["withdrawn", "in_force"]
    assert len(april["licences"]["withdrawn"]) == 2 and len(april["licences"]["in_force"]) == 2
    missing = bad[("002", "2026-04")]
    assert missing["paper"] is None and missing["mismatches"] == []
    assert [e["identifier"] for e in missing["licences"]["in_force"]] == [story.ids["B1"]]
    assert report["ok"] is False and report["mismatches"] == 3
    assert _cli(story, monkeypatch, "reconcile", "--paper", str(paper)) == 1
    shown = capsys.readouterr().out
    assert "MISMATCH" in shown and story.ids["A4"] in shown


@pytest.mark.parametrize("content, reason", [
    ("department,licence_type\n", "header"),
    ("department,licence_type,period,issued,changed,withdrawn,in_force\nX,Y,2026-03,1,1,1,1\n",
     "column department"),
])
def test_a_bad_register_exits_2_with_a_clear_message(
        story: Month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], content: str, reason: str) -> None:
    paper = tmp_path / "bad.csv"
    paper.write_text(content, encoding="utf-8")
    assert _cli(story, monkeypatch, "reconcile", "--paper", str(paper)) == 2
    err = capsys.readouterr().err
    assert reason in err and "Traceback" not in err
    assert _cli(story, monkeypatch, "reconcile", "--paper", str(tmp_path / "none.csv")) == 2
    assert "cannot read" in capsys.readouterr().err
