"""``ledger quality``: every check finds its problem in a ledger built by a stock import,
findings are recorded and tracked to closure (fixed, or explained), ages are shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from commands.bootstrap import bootstrap
from commands.demo.scenario import Scenario
from commands.settings import load_settings
from ledger.domain.identifiers import make_uscc
from tests.builders import apply_all, scenario_clock
from tests.conftest import FakeClock
from tests.e2e.import_books import MAPPING, env, ledger, make_ledger, write_food_book

EXPIRED = ("证照编号,持证主体名称,持证主体代码,发证日期,有效期至,经营者名称,经营场所\n"
           "食经(2019)0001,常熟老店,91320581MA5XP6G7{check},2019-01-02,2023-12-31,常熟老店,"
           "常熟市1号\n")


def sign_and_apply(folder: Path, scenario: Scenario, commands: list[tuple[Any, str, dict[str,
                   Any]]]) -> None:
    clock = FakeClock(datetime.now(UTC))
    services = bootstrap(load_settings(env(folder)), clock=clock)
    try:
        scenario.clock = scenario_clock(clock)
        apply_all(services, clock, [scenario.sign(d, t, p) for d, t, p in commands])
        services.projections.catch_up()
    finally:
        services.close()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Five stock licences imported, one more already expired, a paper report that
    disagrees (as ``ledger stats`` counts: by issue date), and a catalogue revision that
    requires a new field."""

    folder = tmp_path_factory.mktemp("quality")
    info = make_ledger(folder)
    (folder / "map.toml").write_text(MAPPING, encoding="utf-8")
    args = ("--type", info["food"], "--issuer", info["market"], "--keys", str(info["keys"]),
            "--mapping", str(folder / "map.toml"))
    assert ledger(folder, "import", str(write_food_book(folder / "food.xlsx")), *args
                  ).returncode == 1  # it has invalid rows; the five valid ones are issued
    old = folder / "old.csv"
    old.write_text(EXPIRED.replace("91320581MA5XP6G7{check}", make_uscc("91320581", "MA5XP6G7")),
                   encoding="utf-8")
    assert ledger(folder, "import", str(old), *args).returncode == 0
    s: Scenario = info["scenario"]
    definition = json.loads(json.dumps(s.city.types[info["food"]]))
    definition["face_fields"].append({"name": "licence_class", "type": "string",
                                      "required": True})
    period = "2023-03"  # the month the five stock licences were issued on paper
    market = s.city.issuers["market"]
    sign_and_apply(folder, s, [
        (s.city.management, "ReviseLicenceType", {"type_code": info["food"],
                                                  "definition": definition}),
        (market, "ReportPaperCount", {"type_code": info["food"], "period": period,
                                      "issued": 4, "changed": 0, "withdrawn": 0,
                                      "in_force": 4}),
    ])
    return {**info, "folder": folder, "period": period}


def quality(city: dict[str, Any], *args: str) -> tuple[int, dict[str, Any]]:
    result = ledger(city["folder"], "quality", "--json", *args)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def by_check(report: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in report["findings"]:
        out[f["check"]] = out.get(f["check"], 0) + 1
    return out


def test_every_check_finds_its_problem_and_tracks_it_to_closure(city: dict[str, Any]) -> None:
    code, report = quality(city)
    assert code == 1
    assert by_check(report) == {"missing_field": 6, "expired_still_valid": 1,
                                "holder_name_differs": 1, "suspicious_duplicate": 2,
                                "paper_count_differs": 1}
    assert all(f["recorded"] is False and f["age_days"] == 0 for f in report["findings"])
    assert set(report["findings"][0]) == {"finding_id", "issuer", "check", "subject",
                                          "message", "recorded_on", "age_days", "recorded"}
    paper = next(f for f in report["findings"] if f["check"] == "paper_count_differs")
    assert paper["subject"] == f"{city['food']}|{city['period']}"
    assert "4 issued on paper, 5 electronically" in paper["message"]

    # Recorded, signed by the issuer concerned: all open, none recorded twice.
    code, recorded = quality(city, "--keys", str(city["keys"]))
    assert (recorded["recorded"], recorded["closed"]) == (11, 0)
    assert all(f["recorded"] and f["age_days"] == 0 for f in recorded["findings"])
    _, again = quality(city, "--keys", str(city["keys"]))
    assert (again["recorded"], again["closed"], len(again["findings"])) == (0, 0, 11)

    # Fixed in the ledger (the expiry recorded): closed as fixed on the next run.
    expired = next(f for f in again["findings"] if f["check"] == "expired_still_valid")
    s: Scenario = city["scenario"]
    sign_and_apply(city["folder"], s, [(s.city.issuers["market"], "ExpireLicence", {
        "identifier": expired["subject"], "reason": "validity ended", "as_of": "2024-01-01"})])
    _, after = quality(city, "--keys", str(city["keys"]))
    # Its missing field goes too: withdrawn and expired licences are not checked.
    assert (after["recorded"], after["closed"]) == (0, 2)
    assert by_check(after)["missing_field"] == 5
    assert "expired_still_valid" not in by_check(after)

    # Explained: closed, and not recorded again while the data stays as it is.
    name = next(f for f in after["findings"] if f["check"] == "holder_name_differs")
    # Closed by the 8 characters the table shows (the full id works too, below).
    result = ledger(city["folder"], "quality", "--close", name["finding_id"][:8], "--note",
                    "甲有限公司 is the new registered name", "--keys", str(city["keys"]))
    assert result.returncode == 0 and "\taccepted" in result.stdout, result.stderr
    _, last = quality(city, "--keys", str(city["keys"]))
    assert last["recorded"] == 0 and "holder_name_differs" not in by_check(last)
    again_close = ledger(city["folder"], "quality", "--close", name["finding_id"], "--note",
                         "again", "--keys", str(city["keys"]))
    assert again_close.returncode == 1
    assert "is already closed (explained)" in again_close.stderr


def test_issuer_filter_and_table(city: dict[str, Any]) -> None:
    _, other = quality(city, "--issuer", city["health"])
    assert other["findings"] == []
    result = ledger(city["folder"], "quality", "--issuer", city["market"])
    assert "data-quality findings" in result.stdout and "open findings:" in result.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (("--close", "x"), "--close needs --keys DIR and --note TEXT"),
    (("--close", "nope", "--note", "n", "--keys", "{keys}"), "no such finding"),
    (("--issuer", "NOT-A-CODE"), "--issuer 'NOT-A-CODE'"),
    (("--keys", "/nowhere"), "--keys /nowhere: not a directory"),
])
def test_bad_usage_is_refused_clearly(city: dict[str, Any], args: tuple[str, ...],
                                      expected: str) -> None:
    result = ledger(city["folder"], "quality",
                    *[a.replace("{keys}", str(city["keys"])) for a in args])
    assert result.returncode == 2 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
