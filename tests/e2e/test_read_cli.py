"""The read side of the console script, as a user runs it: show, wallet, access-log, stats,
project (catch up, rebuild, check), against a ledger made by ``ledger demo``.

Expected values are read from the stored events (the ledger), never from the read models.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.domain.identifiers import make_licence_identifier
from ledger.domain.localtime import beijing_date, beijing_period

DEMO = ("demo", "--licences", "40", "--seed", "11")


def ledger(cwd: Path, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "commands.cli.main", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("read-cli")
    result = ledger(folder, *DEMO)
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def work(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo's ledger, so a test may alter it."""
    shutil.copytree(demo_dir / ".ledger", tmp_path / ".ledger")
    return tmp_path


def events(folder: Path, topic: str) -> list[dict[str, Any]]:
    """The stored events of one type, straight from eventsourcing's table."""
    db = sqlite3.connect(folder / ".ledger" / "ledger.db")
    try:
        rows = db.execute("SELECT state FROM stored_events WHERE topic = ? ORDER BY rowid",
                          (topic,)).fetchall()
    finally:
        db.close()
    return [json.loads(bytes(r[0])) for r in rows]


def test_show_current_and_superseded(work: Path) -> None:
    versioned = events(work, "LicenceVersioned")
    assert versioned, "the demo changes some licences"
    old, new = versioned[0]["data"]["previous_identifier"], versioned[0]["data"]["identifier"]
    current = as_json(ledger(work, "show", new, "--json"))
    assert (current["identifier"], current["is_current_version"]) == (new, True)
    assert [v["identifier"] for v in current["versions"]] == [old, new]
    assert current["versions"][1]["kind"] == "change"
    superseded = as_json(ledger(work, "show", old, "--json"))
    assert (superseded["requested"], superseded["identifier"]) == (old, new)
    assert superseded["is_current_version"] is False
    assert superseded["versions"] == current["versions"]
    fields = versioned[0]["data"]["fields"]
    assert (current["holders"], current["face"]) == (fields["holders"], fields["face"])
    assert current["status_history"][0]["status"] == "01"
    human = ledger(work, "show", old)
    assert human.returncode == 0 and "superseded" in human.stderr and new in human.stderr


def test_wallet(work: Path) -> None:
    issued = events(work, "LicenceIssued")
    consents = events(work, "ConsentGranted")
    revoked = {e["data"]["grant_id"] for e in events(work, "GrantRevoked")}
    assert consents
    today = beijing_date(datetime.now(UTC)).isoformat()  # live grants: Beijing dates
    for consent in consents:
        holder = consent["data"]["holder_code"]
        wallet = as_json(ledger(work, "wallet", holder, "--json"))
        held = [e["data"]["identifier"] for e in issued
                if holder in {h["code"] for h in e["data"]["fields"]["holders"]}]
        assert len(wallet["licences"]) == len(held)
        assert wallet["as_of"] == today
        live = {g["grant_id"] for g in wallet["live_grants"]}
        gid = consent["data"]["grant_id"]
        assert (gid in live) == (gid not in revoked)
    malformed = ledger(work, "wallet", "91320581NOBODY0000", "--json")
    assert malformed.returncode == 2 and "is not a holder code" in malformed.stderr
    nobody = ledger(work, "wallet", "91350100M000100Y43", "--json")
    assert nobody.returncode == 2 and nobody.stdout == ""
    assert "no licence in this ledger names 91350100M000100Y43 as holder" in nobody.stderr


def test_access_log_by_licence_issuer_and_user(work: Path) -> None:
    reads = [e["data"] for e in events(work, "AccessRecorded")]
    assert {r["outcome"] for r in reads} == {"allowed", "refused"}
    licence = Counter(r["licence_stream"] for r in reads).most_common(1)[0][0]
    ident = next(r["identifier"] for r in reads if r["licence_stream"] == licence)
    by_licence = as_json(ledger(work, "access-log", "--licence", ident, "--json"))
    assert len(by_licence) == sum(1 for r in reads if r["licence_stream"] == licence)
    issuer = reads[0]["issuer_code"]
    by_issuer = as_json(ledger(work, "access-log", "--issuer", issuer, "--json"))
    assert len(by_issuer) == sum(1 for r in reads if r["issuer_code"] == issuer)
    user = reads[0]["organisation"]
    by_user = as_json(ledger(work, "access-log", "--user", user, "--json"))
    assert Counter((r["outcome"], r["code"]) for r in by_user) == Counter(
        (r["outcome"], r["code"]) for r in reads if r["organisation"] == user)
    human = ledger(work, "access-log", "--user", user)
    assert human.returncode == 0 and f"access log ({len(by_user)} reads)" in human.stdout
    malformed = ledger(work, "access-log", "--licence", "1.2.156.3005.2.BAD")
    assert malformed.returncode == 2 and "is not a licence identifier" in malformed.stderr
    absent = str(make_licence_identifier(issuer + "001", issuer, "NOSUCH1", 1))
    unknown = ledger(work, "access-log", "--licence", absent)
    assert unknown.returncode == 2 and "not in the ledger" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_stats_for_a_month(work: Path) -> None:
    month = beijing_period(datetime.now(UTC))  # reads are dated in Beijing time
    data = as_json(ledger(work, "stats", "--period", month, "--json"))
    assert data["period"] == month and data["rows"]
    for row in data["rows"]:
        assert {"department", "licence_type", "period", "issuance_rate",
                "usage_rate"} <= set(row)
        assert row["period"] == month
    assert any(row["usage_rate"] is not None for row in data["rows"])
    paper = events(work, "PaperCountReported")[0]["data"]
    issuance = as_json(ledger(work, "stats", "--period", paper["period"], "--json"))
    [row] = [r for r in issuance["rows"] if (r["department"], r["licence_type"]) == (
        paper["department"], paper["type_code"])]
    assert row["paper_issued"] == paper["issued"]
    assert row["issuance_rate"] == round(row["electronic_issued"] / paper["issued"], 4)
    human = ledger(work, "stats", "--period", month)
    assert human.returncode == 0 and "issuance and usage rates" in human.stdout


def test_project_rebuild_check_and_a_tampered_row(work: Path) -> None:
    caught_up = ledger(work, "project")
    assert caught_up.returncode == 0, caught_up.stderr
    assert "licence_state" in caught_up.stdout
    rebuilt = ledger(work, "project", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    checked = ledger(work, "project", "--check")
    assert checked.returncode == 0, checked.stderr
    assert "equal" in checked.stdout

    db = sqlite3.connect(work / ".ledger" / "ledger.db-read")  # the read models' own file
    with db:
        changed = db.execute("UPDATE licences SET status = '03' WHERE rowid ="
                             " (SELECT MIN(rowid) FROM licences)").rowcount
    db.close()
    assert changed == 1
    tampered = ledger(work, "project", "--check")
    assert tampered.returncode == 1, tampered.stderr
    assert "licences: 1 row(s) not in a fresh replay" in " ".join(tampered.stdout.split())


def test_a_database_error_midway_is_a_message_and_writes_nothing_half(work: Path) -> None:
    """A read-model table of the wrong shape (made by hand, say): ``ledger project`` stops
    with the database's own words and no traceback, and the page it failed on leaves no
    trace: every position stays where it was."""
    db = sqlite3.connect(work / ".ledger" / "ledger.db-read")
    with db:
        db.execute("DROP TABLE licences")
        db.execute("CREATE TABLE licences (stream TEXT PRIMARY KEY)")
        db.execute("UPDATE projection_positions SET position = 0")
    db.close()
    result = ledger(work, "project")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert "the database failed: no such column" in message
    assert "run the command again" in message
    db = sqlite3.connect(work / ".ledger" / "ledger.db-read")
    positions = {row[0] for row in db.execute("SELECT position FROM projection_positions")}
    db.close()
    assert positions == {0}


@pytest.mark.parametrize("period", ["2026-13", "26-01"])
def test_bad_period_is_a_usage_error(work: Path, period: str) -> None:
    result = ledger(work, "stats", "--period", period)
    assert result.returncode == 2
    assert "expected a month written YYYY-MM" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("identifier", ["1.2.156.3005.2.BAD",
                                        "1.2.156.3005.2.11320581AY4CL12T22001.X.1.001.Z"])
def test_show_a_malformed_identifier(work: Path, identifier: str) -> None:
    result = ledger(work, "show", identifier)
    assert result.returncode == 2
    assert f"{identifier!r} is not a licence identifier: expected 1.2.156.3005.2." \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_show_an_identifier_not_in_the_ledger(work: Path) -> None:
    identifier = str(make_licence_identifier("11320581AY4CL12T22001", "11320581AY4CL12T22",
                                             "NOSUCH1", 1))
    result = ledger(work, "show", identifier)
    assert result.returncode == 2
    assert "not in the ledger" in result.stderr and identifier in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
def test_read_models_on_postgresql_are_caught_up_by_project(tmp_path: Path, pg_url: str) -> None:
    env = {"LEDGER_DATABASE_URL": pg_url}
    assert ledger(tmp_path, "demo", "--licences", "12", "--seed", "11", env=env).returncode == 0
    # PostgreSQL runs no projections in-process: the read models wait for `ledger project`.
    behind = ledger(tmp_path, "stats", "--json", env=env)
    assert behind.returncode == 0 and "behind the ledger" in behind.stderr
    assert ledger(tmp_path, "project", env=env).returncode == 0
    stats = as_json(ledger(tmp_path, "stats", "--json", env=env))
    assert stats["rows"]
    checked = ledger(tmp_path, "project", "--check", env=env)
    assert checked.returncode == 0, checked.stderr
