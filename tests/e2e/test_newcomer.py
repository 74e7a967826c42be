"""A newcomer's first hour (issue 16): after the demo every "try next" command works as
printed; piped tables are never wrapped; each common mistake gets its own one-line message,
fast."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.service_server import free_port

PG = "postgresql://postgres@127.0.0.1:5432"


def ledger(cwd: Path, *args: str, env: dict[str, str] | None = None,
           ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith("LEDGER_") and k != "KAFKA_BOOTSTRAP_SERVERS"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "commands.cli.main", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)


def tsv_table(stdout: str, title: str) -> list[list[str]]:
    """The rows (header first) of the table whose ``# title`` line starts with ``title``."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# {title}"))
    rows = []
    for line in lines[start + 1:]:
        if not line:
            break
        rows.append(line.split("\t"))
    return rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    cwd = tmp_path_factory.mktemp("newcomer")
    done = ledger(cwd, "demo", "--licences", "50", "--seed", "16")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unexpected" not in done.stderr
    return cwd, tsv_table(done.stdout, "try next")


@pytest.mark.slow
def test_every_try_next_command_works_as_printed(demo: tuple[Path, list[list[str]]]) -> None:
    cwd, table = demo
    assert table[0] == ["what", "command"]
    commands = [command for _, command in table[1:]]
    verbs = [c.split(" -m commands.cli.main ")[1].split()[0] for c in commands]
    assert verbs == ["show", "wallet", "access-log", "stats", "render", "verify-file",
                     "annotate", "verify-file", "audit", "doctor", "serve"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    for command in commands[:-1]:
        ran = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                             timeout=300, env=env)
        assert ran.returncode == 0, (command, ran.stdout, ran.stderr)
        assert ran.stdout.strip(), command  # the result is on stdout
        assert "Traceback" not in ran.stderr and "Warning" not in ran.stderr, command
    assert (cwd / "licence.pdf").exists() and (cwd / "copy.pdf").exists()
    served, stderr = serve_until_healthy(commands[-1], cwd, env)
    assert served == 0 and "Uvicorn running on http://127.0.0.1:" in stderr, stderr


def serve_until_healthy(command: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run the printed ``serve`` (on a free port: 8080 may be taken on a shared machine)
    until /healthz answers, stop it with Ctrl-C; its exit code and stderr."""
    port = free_port()
    process = subprocess.Popen(["bash", "-c", f"exec {command} --port {port}"], cwd=cwd,
                               env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json() \
                    == {"status": "ok"}
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "ledger serve did not start"
                time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


@pytest.mark.slow
def test_the_demo_has_json_too(tmp_path: Path, demo: tuple[Path, list[list[str]]]) -> None:
    done = ledger(tmp_path, "demo", "--licences", "50", "--seed", "16", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # the whole stdout: one object, no tables
    assert report["ok"] is True and report["unexpected"] == [] and report["seed"] == 16
    assert report["audit"]["ok"] is True and report["commands"]["IssueLicence"]["accepted"] == 50
    verbs = [row["command"].split(" -m commands.cli.main ")[1].split()[0]
             for row in report["try_next"]]
    assert verbs == [command.split(" -m commands.cli.main ")[1].split()[0]
                     for _, command in demo[1][1:]]


@pytest.mark.slow
def test_piped_tables_have_one_line_per_row(demo: tuple[Path, list[list[str]]]) -> None:
    cwd, _ = demo
    stats = ledger(cwd, "stats")
    assert stats.returncode == 0 and stats.stderr == ""
    rows = tsv_table(stats.stdout, "issuance and usage rates")
    assert len(rows) > 10 and all(len(r) == len(rows[0]) == 9 for r in rows)
    assert all(len(r[0]) == 18 for r in rows[1:])  # whole USCCs, never folded
    as_json = json.loads(ledger(cwd, "stats", "--json").stdout)
    assert len(as_json["rows"]) == len(rows) - 1


@pytest.mark.slow
def test_the_demo_face_reads_like_the_licence(demo: tuple[Path, list[list[str]]]) -> None:
    cwd, table = demo
    identifier = table[1][1].split()[-1]
    shown = json.loads(ledger(cwd, "show", identifier, "--json").stdout)
    face = shown["face"]
    assert {"company_name", "uscc", "legal_representative", "address",
            "business_scope"} <= set(face)
    assert face["company_name"].startswith("常熟") and face["address"].startswith("江苏省常熟市")
    assert face["uscc"] == shown["holders"][0]["code"]
    rows = tsv_table(ledger(cwd, "show", identifier).stdout, "licence ")
    assert ["licence type", f"营业执照 ({shown['type_code']})"] in rows
    assert ["face: 名称 (company_name)", face["company_name"]] in rows  # labelled as printed
    pdftotext = subprocess.run(["pdftotext", str(cwd / "licence.pdf"), "-"],
                               capture_output=True, text=True)
    if pdftotext.returncode == 0:  # poppler-utils is installed with pdfsig
        assert "统一社会信用代码" in pdftotext.stdout and "法定代表人" in pdftotext.stdout
        assert "company_name" not in pdftotext.stdout


@pytest.mark.slow
def test_render_and_annotate_have_json(demo: tuple[Path, list[list[str]]]) -> None:
    cwd, table = demo
    identifier = table[1][1].split()[-1]
    rendered = ledger(cwd, "render", identifier, "--format", "pdf", "--out", "j.pdf", "--json")
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    summary = json.loads(rendered.stdout)
    assert summary["sha256"] == hashlib.sha256((cwd / "j.pdf").read_bytes()).hexdigest()
    assert summary["file"] == "j.pdf" and len(summary["verification_reference"]) == 32
    annotate = next(c for _, c in table[1:] if " annotate " in c).split()
    args = annotate[annotate.index("annotate"):]
    args[args.index("--out") + 1] = "j-copy.pdf"
    args[args.index("--purpose") + 1] = "办理税务登记"  # the table quotes it for the shell
    copy = ledger(cwd, *args, "--json")
    assert copy.returncode == 0, copy.stderr
    assert json.loads(copy.stdout)["sha256"] == hashlib.sha256(
        (cwd / "j-copy.pdf").read_bytes()).hexdigest()


@pytest.mark.slow
def test_keys_issue_file_cert_and_doctor(demo: tuple[Path, list[list[str]]]) -> None:
    cwd, table = demo
    issuer = table[3][1].split()[-1]
    keys = cwd / ".ledger" / "keys"
    made = ledger(cwd, "keys", "issue-file-cert", "--department", issuer, "--ca-cert",
                  str(keys / "demo-ca.cert.pem"), "--ca-key", str(keys / "demo-ca.key.pem"),
                  "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["registered"] is True
    doctor = ledger(cwd, "doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout
    checks = {c["check"]: c for c in json.loads(doctor.stdout)}
    assert all(c["status"] != "PROBLEM" for c in checks.values())
    assert checks["read models"]["status"] == "ok", checks["read models"]
    no_key = ledger(cwd, "keys", "issue-file-cert", "--department", issuer, "--ca-cert",
                    str(keys / "demo-ca.cert.pem"), "--ca-key", "nope.pem", "--out", "empty")
    assert no_key.returncode == 2 and f"{issuer}.pem is missing" in no_key.stderr
    unknown = ledger(cwd, "keys", "issue-file-cert", "--department", "91350100M000100Y43",
                     "--ca-cert", str(keys / "demo-ca.cert.pem"), "--ca-key", "nope.pem")
    assert unknown.returncode == 2
    assert "--department 91350100M000100Y43: no such department" in one_error(unknown)


def test_doctor_on_a_fresh_clone_says_what_to_do(tmp_path: Path) -> None:
    doctor = ledger(tmp_path, "doctor")
    assert doctor.returncode == 1
    rows = tsv_table(doctor.stdout, "ledger doctor")
    problems = {r[0]: r[2] for r in rows[1:] if r[1] == "PROBLEM"}
    assert "run `ledger demo`" in problems["database"]
    assert "run `ledger demo`" in problems["department keys"]
    assert not (tmp_path / ".ledger" / "ledger.db").exists()  # looking changes nothing


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one ``error:`` line (argparse adds a usage line above its own)."""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error: " in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "expected"), [
    (("show", "garbage"), "'garbage' is not a licence identifier: expected 1.2.156.3005.2."),
    (("show", "1.2.156.3005.2.X"), "is not a licence identifier: expected"),
    (("wallet", "nonsense"), "no licence in this ledger names nonsense as holder"),
    (("wallet", "91320581CDXPU40G3Y"), "is not a holder code"),
    (("access-log", "--issuer", "91350100M000100Y43"), "no such department is registered"),
    (("access-log", "--user", "not-a-code"), "is not a department code"),
    (("access-log", "--licence", "nope"), "is not a licence identifier"),
    (("corrections", "--issuer", "91350100M000100Y43"), "no such department is registered"),
    (("quality", "--issuer", "91350100M000100Y43"), "no such department is registered"),
    (("archive", "export", "--department", "91350100M000100Y43", "--period", "2024-01",
      "--out", "bag"), "no such department is registered"),
    (("verify-file", ".ledger/keys/demo-ca.cert.pem", "--as", "91350100M000100Y43"),
     "--as 91350100M000100Y43: no such department is registered"),
])
def test_mistakes_on_the_demo_ledger(demo: tuple[Path, list[list[str]]], args: tuple[str, ...],
                                     expected: str) -> None:
    cwd, _ = demo
    result = ledger(cwd, *args)
    assert result.returncode == 2, result.stderr
    assert expected in one_error(result)


@pytest.mark.slow
def test_annotate_says_which_option_is_missing(demo: tuple[Path, list[list[str]]]) -> None:
    cwd, table = demo
    annotate = next(c for _, c in table[1:] if " annotate " in c).split()
    args = annotate[annotate.index("annotate"):]
    no_grant = args[:args.index("--grant")] + args[args.index("--grant") + 2:]
    assert "annotate needs --grant ID" in one_error(ledger(cwd, *no_grant))
    no_matter = args[:args.index("--matter")] + args[args.index("--matter") + 2:]
    assert "annotate needs --matter CODE" in one_error(ledger(cwd, *no_matter))


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://postgres@127.0.0.1:1/test", "nothing accepts connections at 127.0.0.1:1"),
    ("postgresql://postgres@no-such-host.invalid:5432/test", "unknown host 'no-such-host"),
    (f"{PG}/no_such_database_16", "the database 'no_such_database_16' does not exist"),
    ("postgresql://no_such_role_16@127.0.0.1:5432/test", "the role 'no_such_role_16' does not"),
    (f"{PG}/test?schema=Bad-Schema", "schema 'Bad-Schema' is not a valid schema name"),
])
def test_postgresql_mistakes_are_named_at_once(tmp_path: Path, url: str, expected: str) -> None:
    started = time.monotonic()
    result = ledger(tmp_path, "stats", env={"LEDGER_DATABASE_URL": url})
    assert time.monotonic() - started < 8  # not the pool's silent 10 s
    assert result.returncode == 2
    line = one_error(result)
    assert expected in line and "couldn't get a connection" not in line


@pytest.mark.slow
def test_post_without_a_broker_has_no_library_noise(tmp_path: Path) -> None:
    made = ledger(tmp_path, "loadgen", "--licences", "1")
    (tmp_path / "c.jsonl").write_text(made.stdout)
    result = ledger(tmp_path, "post", "c.jsonl", env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert result.returncode == 2
    assert "no Kafka broker answered" in one_error(result)
    assert not [line for line in result.stderr.splitlines() if " kafka." in line]


@pytest.mark.postgres
@pytest.mark.slow
def test_try_next_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """On PostgreSQL the read models are a process of their own: the table says to bring
    them up to date first, and then every command works as printed."""
    env = {"LEDGER_DATABASE_URL": pg_url}
    done = ledger(tmp_path, "demo", "--licences", "20", "--seed", "17", env=env)
    assert done.returncode == 0, done.stderr
    commands = [c for _, c in tsv_table(done.stdout, "try next")[1:]]
    assert commands[0].endswith(" project") and commands[-1].endswith(" serve")
    for command in commands[:-1]:
        ran = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300, env={**os.environ, **env})
        assert ran.returncode == 0, (command, ran.stdout, ran.stderr)
    served, stderr = serve_until_healthy(commands[-1], tmp_path, {**os.environ, **env})
    assert served == 0, stderr


def test_doctor_says_how_far_the_read_models_are_behind(
        demo: tuple[Path, list[list[str]]], tmp_path: Path) -> None:
    cwd, _ = demo
    (tmp_path / ".ledger").mkdir()
    copy = tmp_path / ".ledger" / "ledger.db"
    for name in ("ledger.db", "ledger.db-read"):  # the ledger and its read models' file
        with sqlite3.connect(cwd / ".ledger" / name) as source, \
                sqlite3.connect(copy.parent / name) as to:
            source.backup(to)  # a copy whose read models lag: the demo's own stays untouched
    with sqlite3.connect(copy) as db:
        head = db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    with sqlite3.connect(copy.parent / "ledger.db-read") as db:
        db.execute("UPDATE projection_positions SET position = ? WHERE name = 'access_log'",
                   [head - 5])
    doctor = ledger(tmp_path, "doctor", "--json")
    read_models = next(c for c in json.loads(doctor.stdout) if c["check"] == "read models")
    assert read_models["status"] == "note"
    assert read_models["detail"].startswith("5 event(s) behind the ledger; run `ledger project`")
