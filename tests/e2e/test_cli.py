"""The console script as a user runs it: real processes, real files, real PostgreSQL."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.domain.identifiers import make_uscc


def ledger(cwd: Path, *args: str, env: dict[str, str] | None = None,
           stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "commands.cli.main", *args], cwd=cwd, env=full_env,
                          input=stdin, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_demo_then_audit_on_the_embedded_default(tmp_path: Path) -> None:
    demo = ledger(tmp_path, "demo", "--licences", "60", "--seed", "3")
    assert demo.returncode == 0, demo.stderr
    assert "OK" in demo.stdout and "licences by type and status" in demo.stdout
    assert (tmp_path / ".ledger" / "ledger.db").exists()
    assert (tmp_path / ".ledger" / "ledger-key.pem").stat().st_mode & 0o077 == 0
    audit = ledger(tmp_path, "audit", "--json")
    assert audit.returncode == 0, audit.stderr
    report = json.loads(audit.stdout)
    assert report["ok"] is True and report["events"] > 60 and report["streams"] > 60

    # A second demo keeps the first ledger aside instead of deleting it.
    again = ledger(tmp_path, "demo", "--licences", "5", "--seed", "4")
    assert again.returncode == 0, again.stderr
    assert len(list((tmp_path / ".ledger").glob("ledger-*.db"))) == 1


@pytest.mark.slow
def test_audit_names_the_altered_event(tmp_path: Path) -> None:
    assert ledger(tmp_path, "demo", "--licences", "10", "--seed", "5").returncode == 0
    db = sqlite3.connect(tmp_path / ".ledger" / "ledger.db")
    nid, _stream, version, state = db.execute(
        "SELECT rowid, originator_id, originator_version, state FROM stored_events"
        " WHERE topic = 'LicenceIssued' ORDER BY rowid LIMIT 1").fetchone()
    db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
               (bytes(state).replace(b"CASE-", b"CASF-"), nid))
    db.commit()
    db.close()
    audit = ledger(tmp_path, "audit", "--json")
    assert audit.returncode == 1
    report = json.loads(audit.stdout)
    assert report["ok"] is False
    first = report["errors"][0]
    assert (first["notification_id"], first["position"]) == (nid, version)
    human = ledger(tmp_path, "audit")
    assert human.returncode == 1 and "FAILED" in human.stdout


@pytest.mark.postgres
@pytest.mark.slow
def test_demo_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    env = {"LEDGER_DATABASE_URL": pg_url}
    demo = ledger(tmp_path, "demo", "--licences", "40", "--seed", "6", env=env)
    assert demo.returncode == 0, demo.stderr
    audit = ledger(tmp_path, "audit", "--json", env=env)
    assert json.loads(audit.stdout)["ok"] is True
    refused = ledger(tmp_path, "demo", "--licences", "5", env=env)
    assert refused.returncode == 2 and "not empty" in refused.stderr


def test_check_id(tmp_path: Path) -> None:
    good = ["11010519491231002X", "91350100M000100Y43"]
    result = ledger(tmp_path, "check-id", *good)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [f"{v}\tvalid" for v in good]
    bad = ledger(tmp_path, "check-id", "11010519491231002X", "110105194912310021",
                 "1.2.156.3005.2.X")
    assert bad.returncode == 1
    lines = [line.split("\t") for line in bad.stdout.splitlines()]
    assert [parts[1] for parts in lines] == ["valid", "invalid", "invalid"]
    assert all(len(parts) == 3 and parts[2] for parts in lines[1:])


def test_keygen_sign_apply(tmp_path: Path) -> None:
    keygen = ledger(tmp_path, "keygen", "--out", "mgmt.pem")
    assert keygen.returncode == 0
    fields = dict(line.split("\t") for line in keygen.stdout.splitlines())
    assert ledger(tmp_path, "keygen", "--out", "mgmt.pem").returncode == 2  # never overwrite
    code = make_uscc("11320581", "MB000001")
    unsigned = {"type": "RegisterDepartment", "actor": code, "payload": {
        "code": code, "name": "常熟市行政审批局", "roles": ["management"],
        "area_code": "320581", "public_key": fields["public_key"]}}
    (tmp_path / "cmds.jsonl").write_text(json.dumps(unsigned, ensure_ascii=False) + "\n")
    signed = ledger(tmp_path, "sign", "cmds.jsonl", "--key", "mgmt.pem")
    assert signed.returncode == 0, signed.stderr
    envelope = json.loads(signed.stdout)
    assert envelope["key_id"] == fields["key_id"]
    (tmp_path / "signed.jsonl").write_text(signed.stdout + "not json\n" + signed.stdout)
    applied = ledger(tmp_path, "apply", "signed.jsonl")
    assert applied.returncode == 1  # the malformed line was rejected
    lines = applied.stdout.splitlines()
    assert lines[0] == f"{envelope['command_id']}\taccepted"
    assert lines[1].split("\t")[1:3] == ["rejected", "malformed_json"]
    assert lines[2] == f"{envelope['command_id']}\taccepted"  # repeated: original result
    as_json = ledger(tmp_path, "apply", "--json", "-", stdin=signed.stdout)
    assert as_json.returncode == 0
    result = json.loads(as_json.stdout)
    assert result["status"] == "accepted" and result["duplicate"] is True


def test_bad_configuration_is_explained_without_traceback(tmp_path: Path) -> None:
    result = ledger(tmp_path, "audit", env={"LEDGER_DATABASE_URL": "mysql://x/y"})
    assert result.returncode == 2
    assert "unsupported scheme" in result.stderr and "Traceback" not in result.stderr
    missing = ledger(tmp_path, "apply", "no-such-file.jsonl")
    assert missing.returncode == 2 and "cannot read no-such-file.jsonl" in missing.stderr
