"""``ledger audit --replay`` as a user runs it: real processes on embedded ledgers.

A ledger with licence files (rendered, annotated, verified), checkpoints and a rotated
ledger key replays clean; so does a load stream with refused commands; an insider's
re-sealed rewrite passes ``ledger audit`` and fails ``ledger audit --replay`` with its place.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from commands.cli.demo_next import write_demo_keys
from commands.demo.scenario import Scenario
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey, load_signing_key, save_signing_key
from tests.builders import RawEvents
from tests.e2e.test_files_cli import ledger
from tests.integration.replay_insider import Insider


def _replayed(cwd: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    result = ledger(cwd, "audit", "--replay", "--json", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    answer: dict[str, object] = json.loads(result.stdout)
    replay = answer["replay"]
    assert isinstance(replay, dict) and replay["ok"] is True, replay
    return replay


@pytest.mark.slow
def test_files_checkpoints_and_a_rotated_ledger_key_replay_clean(tmp_path: Path) -> None:
    scenario = Scenario(13, lambda: format_instant(datetime.now(UTC) - timedelta(seconds=2)))
    keys = tmp_path / ".ledger" / "keys"
    # the demo's own step: command keys and demo-CA file signers, certificates registered
    lines = [*scenario.setup(), *scenario.issue(3), *write_demo_keys(scenario, keys)]
    today, user = datetime.now(UTC).date(), scenario.using_departments[0]
    lines.append(scenario.sign(scenario.city.management, "GrantFunctionalUse", {
        "grant_id": "G-FILES", "department": user.code, "type_codes": list(scenario.city.types),
        "fields": [], "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=60)).isoformat(), "daily_cap": None,
        "scenarios": ["MATTER-001"]}))
    refused = scenario.sign(user, "SuspendLicence", {  # not its licence: refused, no receipt
        "identifier": scenario.issued[0]["identifier"], "reason": "not mine"})
    (tmp_path / "setup.jsonl").write_bytes(b"".join(orjson.dumps(x) + b"\n"
                                                    for x in [*lines, refused]))
    applied = ledger(tmp_path, "apply", "setup.jsonl")
    assert applied.returncode == 1 and applied.stdout.count("\taccepted") == len(lines)
    ident = scenario.issued[0]["identifier"]
    for fmt in ("pdf", "ofd"):
        assert ledger(tmp_path, "render", ident, "--format", fmt, "--out",
                      f"original.{fmt}").returncode == 0
    assert ledger(tmp_path, "checkpoint").returncode == 0
    new_key = tmp_path / "new-ledger-key.pem"
    save_signing_key(SigningKey.generate(), new_key)
    env = {"LEDGER_KEY_FILE": str(new_key)}
    rotated = ledger(tmp_path, "rotate-ledger-key", "--previous",
                     str(tmp_path / ".ledger" / "ledger-key.pem"), env=env)
    assert rotated.returncode == 0, rotated.stderr
    until = (today + timedelta(days=30)).isoformat()
    copy = ledger(tmp_path, "annotate", ident, "--purpose", "办理税务登记", "--recipient",
                  "91320581MA1W0000X1", "--until", until, "--out", "copy.pdf", "--as",
                  user.code, "--grant", "G-FILES", "--matter", "MATTER-001", "--case", "C-1",
                  env=env)
    assert copy.returncode == 0, copy.stderr
    for name in ("original.pdf", "original.ofd", "copy.pdf"):
        assert ledger(tmp_path, "verify-file", name, "--as", user.code, env=env).returncode == 0
    assert ledger(tmp_path, "checkpoint", env=env).returncode == 0
    replay = _replayed(tmp_path, env)
    # genesis key, rotation (new key, old retired), two checkpoints
    assert replay["ledger_events"] == 5
    assert replay["commands"] == len(lines) + 2 + 1 + 3  # files, copy, verifications


def test_load_replays_clean_and_a_resealed_rewrite_does_not(tmp_path: Path) -> None:
    made = ledger(tmp_path, "loadgen", "--licences", "40", "--bad-ratio", "0.1")
    assert made.returncode == 0, made.stderr
    (tmp_path / "load.jsonl").write_text(made.stdout)
    applied = ledger(tmp_path, "apply", "load.jsonl", "--json")
    results = [json.loads(line) for line in applied.stdout.splitlines()]
    assert applied.returncode == 1 and any(r["status"] == "rejected" for r in results)
    # Accepted commands and refused reads (recorded) have receipts; other refusals do not.
    recorded = [r for r in results if r["events"]]
    assert any(r["status"] == "rejected" for r in recorded)
    assert _replayed(tmp_path)["commands"] == len(recorded)
    raw = RawEvents(f"sqlite:///{tmp_path / '.ledger' / 'ledger.db'}")
    insider = Insider(raw, [load_signing_key(tmp_path / ".ledger" / "ledger-key.pem")])
    issued = [r for r in raw.rows() if r.topic == "LicenceIssued"][7]

    def forge(body: dict[str, object]) -> None:
        data = body["data"]
        assert isinstance(data, dict)
        data["fields"]["licence_number"] = "伪造-0000001"

    insider.edit(issued, forge)
    plain = ledger(tmp_path, "audit", "--json")
    assert plain.returncode == 0, plain.stdout
    caught = ledger(tmp_path, "audit", "--replay", "--json")
    assert caught.returncode == 1
    divergence = json.loads(caught.stdout)["replay"]["divergence"]
    assert (divergence["stream"], divergence["position"], divergence["notification_id"]) == (
        issued.stream, issued.version, issued.nid)
    assert "data.fields.licence_number" in divergence["reason"]
    table = ledger(tmp_path, "audit", "--replay")
    assert table.returncode == 1 and "Traceback" not in table.stderr
    assert f"replay diverges at stream {issued.stream} version {issued.version}" in table.stderr


def test_the_demo_replays_clean(tmp_path: Path) -> None:
    demo = ledger(tmp_path, "demo", "--licences", "60", "--seed", "3")
    assert demo.returncode == 0, demo.stderr[-2000:]
    replay = _replayed(tmp_path)
    assert replay["ledger_events"] == 1 and replay["batches"] >= 3  # the key; no checkpoint
