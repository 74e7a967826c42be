"""``ledger corrections`` as a user runs it, against a ledger whose reports were made at
known times before now (the CLI counts ages against the wall clock, in Beijing days)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from commands.bootstrap import bootstrap
from commands.demo.scenario import Scenario
from commands.settings import load_settings
from ledger.domain.corrections import answer_deadline
from ledger.domain.localtime import beijing_date
from ledger.integrity.canonical import format_instant
from tests.builders import SEED, apply_all, scenario_clock
from tests.conftest import FakeClock


def ledger(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["COLUMNS"] = "250"  # wide enough that the table never truncates a cell
    return subprocess.run([sys.executable, "-m", "commands.cli.main", "corrections", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A ledger in the default place (.ledger/) with three reports: one 20 days old, one
    answered, one a minute old."""
    folder = tmp_path_factory.mktemp("corrections-cli")
    now = datetime.now(UTC)
    clock = FakeClock(now - timedelta(days=21))
    services = bootstrap(load_settings({
        "LEDGER_DATABASE_URL": f"sqlite:///{folder / '.ledger' / 'ledger.db'}",
        "LEDGER_KEY_FILE": str(folder / ".ledger" / "ledger-key.pem")}), clock=clock)
    try:
        s = Scenario(SEED, scenario_clock(clock))
        apply_all(services, clock, s.setup())
        apply_all(services, clock, s.issue(8))
        market, health = s.city.issuers["market"], s.city.issuers["health"]
        user = s.using_departments[0]
        t001 = [x["identifier"] for x in s.issued if x["type_code"].endswith("001")]

        def error(cid: str, ident: str) -> dict[str, Any]:
            return s.sign(user, "ReportCorrection", {
                "correction_id": cid, "kind": "error", "type_code": ident.split(".")[5],
                "issuer_code": market.code, "description": "wrong address",
                "identifier": ident})

        clock.now = now - timedelta(days=20)
        apply_all(services, clock, [error("C-OLD", t001[0]), error("C-ANS", t001[1])])
        clock.now = now - timedelta(days=19)
        apply_all(services, clock, [s.sign(market, "AnswerCorrection", {
            "correction_id": "C-ANS", "outcome": "refused", "reasons": "address is right"})])
        clock.now = now - timedelta(minutes=1)
        apply_all(services, clock, [s.sign(user, "ReportCorrection", {
            "correction_id": "C-NEW", "kind": "missing",
            "type_code": s.city.management.code + "003", "issuer_code": health.code,
            "description": "never arrived"})])
        services.projections.catch_up()
    finally:
        services.close()
    return folder, {"market": market.code, "health": health.code, "user": user.code,
                    "licence": t001[0], "now": now}


def test_open_queue_as_json(made: tuple[Path, dict[str, Any]]) -> None:
    folder, facts = made
    data = as_json(ledger(folder, "--json"))
    today = date.fromisoformat(data["today"])
    assert today == beijing_date(datetime.now(UTC)) or today == beijing_date(facts["now"])
    assert data["answer_within_working_days"] == 5
    assert "public holidays not modelled" in data["working_days"]
    rows = {r["correction_id"]: r for r in data["corrections"]}
    assert list(rows) == ["C-OLD", "C-NEW"]
    old, new = rows["C-OLD"], rows["C-NEW"]
    assert (old["identifier"], old["reporter"], old["issuer_code"]) == (
        facts["licence"], facts["user"], facts["market"])
    assert old["reported_at"] == format_instant(facts["now"] - timedelta(days=20))
    reported = beijing_date(old["reported_at"])
    assert old["reported_on"] == reported.isoformat()
    assert old["age_days"] == (today - reported).days >= 20
    assert old["deadline"] == answer_deadline(reported).isoformat()
    assert (old["overdue"], new["overdue"]) == (True, False)
    assert new["age_days"] in (0, 1) and new["identifier"] is None


def test_all_overdue_and_issuer_filters(made: tuple[Path, dict[str, Any]]) -> None:
    folder, facts = made
    every = as_json(ledger(folder, "--all", "--json"))["corrections"]
    # Oldest first; the two reported in one batch share an instant and sort by id.
    assert [r["correction_id"] for r in every] == ["C-ANS", "C-OLD", "C-NEW"]
    answered = every[0]
    assert (answered["status"], answered["outcome"], answered["overdue"]) == (
        "answered", "refused", False)
    assert answered["answered_at"] == format_instant(facts["now"] - timedelta(days=19))
    overdue = as_json(ledger(folder, "--overdue", "--json"))["corrections"]
    assert [r["correction_id"] for r in overdue] == ["C-OLD"]
    health = as_json(ledger(folder, "--issuer", facts["health"], "--json"))
    assert health["issuer"] == facts["health"]
    assert [r["correction_id"] for r in health["corrections"]] == ["C-NEW"]
    longer = as_json(ledger(folder, "--within", "30", "--json"))["corrections"]
    assert [r["overdue"] for r in longer] == [False, False]


def test_tables_as_results(made: tuple[Path, dict[str, Any]]) -> None:
    """The table is the result: on stdout (tab-separated, as stdout is a pipe here)."""
    folder, _ = made
    open_ = ledger(folder)
    assert open_.returncode == 0 and open_.stderr == ""
    assert "open corrections as of" in open_.stdout and "(2;" in open_.stdout
    assert "C-OLD" in open_.stdout and "OVERDUE" in open_.stdout
    assert "C-ANS" not in open_.stdout
    every = ledger(folder, "--all")
    assert every.returncode == 0
    assert "C-ANS" in every.stdout and "refused" in every.stdout and "outcome" in every.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (("--issuer", "91320581NOBODY0000"), "is not an issuer code"),
    (("--issuer", "not-a-code"), "is not an issuer code"),
    (("--within", "0"), "expected a number of working days"),
    (("--within", "five"), "expected a number of working days"),
])
def test_bad_input_is_a_usage_error(made: tuple[Path, dict[str, Any]], args: tuple[str, ...],
                                    expected: str) -> None:
    folder, _ = made
    result = ledger(folder, *args)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
