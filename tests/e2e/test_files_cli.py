"""``ledger render | annotate | verify-file`` as a user runs them: real processes, files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from commands.cli.demo_next import write_demo_keys
from commands.demo.scenario import Scenario
from ledger.integrity.canonical import format_instant


def ledger(cwd: Path, *args: str, env: dict[str, str] | None = None,
           ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "commands.cli.main", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Scenario, str]:
    """An embedded ledger with departments, licences, certificates and a grant."""
    cwd = tmp_path_factory.mktemp("files-cli")
    scenario = Scenario(11, lambda: format_instant(datetime.now(UTC) - timedelta(seconds=2)))
    keys = cwd / ".ledger" / "keys"
    # the demo's own step: command keys and demo-CA file signers, certificates registered
    lines = [*scenario.setup(), *scenario.issue(4), *write_demo_keys(scenario, keys)]
    grant, today = scenario.ids(), datetime.now(UTC).date()
    user = scenario.using_departments[0]
    lines.append(scenario.sign(scenario.city.management, "GrantFunctionalUse", {
        "grant_id": grant, "department": user.code, "type_codes": list(scenario.city.types),
        "fields": [], "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=60)).isoformat(), "daily_cap": None,
        "scenarios": ["MATTER-001"]}))
    (cwd / "setup.jsonl").write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    applied = ledger(cwd, "apply", "setup.jsonl")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return cwd, scenario, grant


def test_render_annotate_verify(city: tuple[Path, Scenario, str]) -> None:
    cwd, scenario, grant = city
    ident, user = scenario.issued[0]["identifier"], scenario.using_departments[0].code
    for fmt in ("pdf", "ofd"):
        made = ledger(cwd, "render", ident, "--format", fmt, "--out", f"original.{fmt}")
        assert made.returncode == 0, made.stderr
        assert len(made.stdout.strip()) == 64 and "verification reference" in made.stderr
    checked = ledger(cwd, "verify-file", "original.pdf", "--json", "--as", user)
    assert checked.returncode == 0, checked.stderr
    answer = json.loads(checked.stdout)
    assert answer["verdict"] == "valid" and answer["reasons"] == []
    table = ledger(cwd, "verify-file", "original.ofd", env={"LEDGER_ACTOR": user})
    assert table.returncode == 0 and "verdict" in table.stdout and "valid" in table.stdout
    until = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    copy = ledger(cwd, "annotate", ident, "--purpose", "办理税务登记", "--recipient",
                  "91320581MA1W0000X1", "--until", until, "--out", "copy.pdf", "--as", user,
                  "--grant", grant, "--matter", "MATTER-001", "--case", "CASE-1")
    assert copy.returncode == 0, copy.stderr
    copied = json.loads(ledger(cwd, "verify-file", "copy.pdf", "--json", "--as", user).stdout)
    assert copied["verdict"] == "valid" and copied["copy"]["purpose"] == "办理税务登记"
    log = ledger(cwd, "access-log", "--user", user, "--json")
    assert sum(1 for r in json.loads(log.stdout) if r["mode"] == "file") == 3


def test_negative_verdicts_and_bad_input_exit_without_traceback(
        city: tuple[Path, Scenario, str]) -> None:
    cwd, scenario, grant = city
    user = scenario.using_departments[0].code
    (cwd / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    shot = ledger(cwd, "verify-file", "shot.png", "--json", "--as", user)
    assert shot.returncode == 1
    assert json.loads(shot.stdout)["reasons"][0]["code"] == "not_a_licence_file"
    for args, expected in [
        (("verify-file", "shot.png"), "--as CODE"),
        (("verify-file", "missing.pdf", "--as", user), "cannot read missing.pdf"),
        (("render", "1.2.156.3005.2.X", "--format", "pdf", "--out", "x.pdf"), "error:"),
        (("annotate", scenario.issued[1]["identifier"], "--purpose", "p", "--recipient", "r",
          "--until", "2026-02-30", "--out", "c.pdf"), "YYYY-MM-DD"),
    ]:
        result = ledger(cwd, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert expected in result.stderr and "Traceback" not in result.stderr
    no_original = ledger(cwd, "annotate", scenario.issued[1]["identifier"], "--purpose", "p",
                         "--recipient", "r", "--until", "2099-01-01", "--out", "c.pdf",
                         "--as", user, "--grant", grant, "--matter", "MATTER-001")
    assert no_original.returncode == 2 and "no PDF original" in no_original.stderr
    assert not (cwd / "c.pdf").exists()
