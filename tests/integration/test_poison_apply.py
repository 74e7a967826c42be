"""``ledger apply`` answers every line once, whatever a line does to its batch.

The poison here is real: a licence whose stored row is damaged makes every batch that
reads it fail as a whole (the batch's prefetch cannot decode the row), and lines the
decoder cannot cope with (absurd instants, deep nesting, oversized lines) sit in the
same batch as valid commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.builders import RawEvents, licence_stream

MAX_BYTES = 16384


# Runs the console script, then prints its own peak memory to stderr.
MEASURED = ("import sys; from commands.cli.main import main; code = main(sys.argv[1:]);"
            " sys.stdout.flush(); print(open('/proc/self/status').read(), file=sys.stderr);"
            " sys.exit(code)")


def ledger(cwd: Path, url: str, *args: str, stdin: bytes | None = None, python: bool = False,
           **extra: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update({"LEDGER_DATABASE_URL": url, "LEDGER_KEY_FILE": str(cwd / "ledger-key.pem"),
                "LEDGER_MAX_RECORD_BYTES": str(MAX_BYTES), **extra})
    command = ([sys.executable, *args] if python
               else [sys.executable, "-m", "commands.cli.main", *args])
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run(command, cwd=cwd, env=env,
                          input=stdin, capture_output=True, timeout=600)


def answers(run: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    return [json.loads(line) for line in run.stdout.splitlines()]


def hostile_lines(valid: bytes) -> list[bytes]:
    """Lines that must each be answered, rejected, without a traceback."""
    envelope = orjson.loads(valid)
    absurd = orjson.dumps({**envelope, "issued_at": "0001-01-01T00:00:00+05:00"})
    late = orjson.dumps({**envelope, "issued_at": "9999-12-31T23:59:59-05:00"})
    deep = b'{"command_id": "deep", "payload": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    oversized = orjson.dumps({**envelope, "command_id": "big", "pad": "x" * MAX_BYTES})
    return [line + b"\n" for line in
            (absurd, late, deep, oversized, b"\xff\xfe not text", b"[]")]


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres",
                         marks=pytest.mark.postgres)], indirect=True)
def test_a_line_that_breaks_its_batch_never_takes_the_others_down(
        tmp_path: Path, database_url: str) -> None:
    made = ledger(tmp_path, database_url, "loadgen", "--licences", "6", "--seed", "21")
    lines = made.stdout.splitlines(keepends=True)
    first_issue = next(i for i, line in enumerate(lines) if b'"IssueLicence"' in line)
    damaged = orjson.loads(lines[first_issue])["payload"]
    setup = ledger(tmp_path, database_url, "apply", "-",
                   stdin=b"".join(lines[:first_issue + 1]))
    assert setup.returncode == 0, setup.stderr

    rest = lines[first_issue + 1:]
    identifier = damaged_identifier(rest, damaged)
    events = RawEvents(database_url)
    rows = [r for r in events.rows() if r.stream == str(licence_stream(identifier))]
    assert rows
    events.set_state(rows[0].nid, b'{"not": "a ledger row"}')

    hostile = hostile_lines(rest[0])
    # Poison first, then valid commands, some reading the damaged licence, then more poison.
    stream = hostile[:3] + rest + hostile[3:]
    run = ledger(tmp_path, database_url, "apply", "--json", "-", stdin=b"".join(stream))
    assert run.returncode == 1
    assert b"Traceback" not in run.stderr and b"Traceback" not in run.stdout
    got = answers(run)
    assert len(got) == len(stream)  # exactly one answer per line, in order

    for answer in got[:3] + got[-3:]:
        assert answer["status"] == "rejected"
        assert answer["code"] in {"invalid_command", "malformed_json", "internal_error"}
    assert got[-3]["code"] == "invalid_command" and "LEDGER_MAX_RECORD_BYTES" in str(
        got[-3]["message"])

    for line, answer in zip(rest, got[3:-3], strict=True):
        if identifier in line.decode():
            assert answer["code"] == "internal_error", answer
            assert "Error" not in str(answer["message"])  # the why is in the log only
        elif b'"RevokeGrant"' not in line:  # it may revoke a consent to the damaged licence
            assert answer["status"] == "accepted", answer
    assert b"failed as a whole" in run.stderr  # the operator hears about it


def damaged_identifier(rest: list[bytes], payload: dict[str, str]) -> str:
    for line in rest:
        identifier = orjson.loads(line)["payload"].get("identifier", "")
        if payload["serial"] in identifier:
            return str(identifier)
    raise AssertionError("no command names the damaged licence")



@pytest.mark.slow
def test_a_100k_line_file_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    """100,000 lines of ~1 KB (100 MB) and one 64 MB line: every line answered, and the
    process never holds the file (its peak memory stays far below the file's size)."""
    path = tmp_path / "big.jsonl"
    line = orjson.dumps({"command_id": "c", "type": "NoSuchCommand", "pad": "x" * 1000})
    with path.open("wb") as out:
        for n in range(100_000):
            out.write(line.replace(b'"c"', f'"c{n}"'.encode()) + b"\n")
            if n == 50_000:  # written in pieces: this process must stay small too
                out.write(b'{"pad": "')
                for _ in range(64):
                    out.write(b"y" * (1 << 20))
                out.write(b'"}\n')
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    run = ledger(tmp_path, url, "-c", MEASURED, "apply", str(path), python=True)
    assert run.returncode == 1 and b"Traceback" not in run.stderr
    results = run.stdout.splitlines()
    assert len(results) == 100_001
    assert sum(b"\tinvalid_command\t" in r for r in results) == 100_001
    # VmHWM is the process's own peak since exec (ru_maxrss would include this pytest's).
    peak_mb = int(run.stderr.rsplit(b"VmHWM:", 1)[1].split()[0]) / 1024
    size_mb = path.stat().st_size >> 20
    assert peak_mb < 120, f"apply peaked at {peak_mb:.0f} MB for a {size_mb} MB file"
