"""Fuzz tier: hostile lines of every class through ``ledger apply`` on a real SQLite ledger.

For each generated file (hostile lines around one valid command): no exception escapes
the console script's entry point, every non-blank line gets exactly one answer, every
hostile line is rejected, the valid command is accepted and is the only thing that
changed the ledger, and ``ledger audit`` passes afterwards. ``LEDGER_FUZZ_EXAMPLES``
sets the number of files (default 60, about 10 s here; try 2000 for a longer run).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.cli.main import main
from commands.demo.scenario import Scenario
from commands.signed.envelope import sign_envelope
from ledger.domain.identifiers import make_uscc
from ledger.integrity.canonical import format_instant
from tests.builders import build_city, issue_payload, sqlite_services
from tests.conftest import FakeClock
from tests.fuzz.hostile import hostile_line

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "60"))
HOLDER = {"name": "常熟哨兵有限公司", "code_type": "001", "code": make_uscc("91320581", "FW00KE01")}


@dataclass(frozen=True)
class Base:
    directory: Path
    scenario: Scenario
    notifications: int

    def signed(self, serial: str, number: str) -> dict[str, Any]:
        """A valid IssueLicence, signed now (the console script runs on the real clock)."""
        market = self.scenario.city.issuers["market"]
        payload = issue_payload(self.scenario, "001", serial, number, HOLDER, valid_until=None)
        return sign_envelope(market.key, command_type="IssueLicence", actor=market.code,
                             payload=payload, command_id=str(uuid.uuid4()),
                             issued_at=format_instant(datetime.now(UTC) - timedelta(seconds=1)))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    directory = tmp_path_factory.mktemp("fuzz-base")
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=1))
    services = sqlite_services(directory, clock)
    scenario = build_city(services, clock, licences=4, lifecycle=False)
    notifications = services.store.max_notification_id()
    services.close()
    return Base(directory, scenario, notifications)


@contextlib.contextmanager
def ledger_copy(base: Base) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as name:
        target = Path(name)
        for item in base.directory.iterdir():
            shutil.copy2(item, target / item.name)
        saved = {k: os.environ.get(k) for k in ("LEDGER_DATABASE_URL", "LEDGER_KEY_FILE")}
        os.environ["LEDGER_DATABASE_URL"] = f"sqlite:///{target / 'ledger.db'}"
        os.environ["LEDGER_KEY_FILE"] = str(target / "ledger-key.pem")
        try:
            yield target
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def run(*argv: str) -> tuple[int, str]:
    """The console script in-process: any exception it lets out fails the test."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(argv))
    return code, out.getvalue()


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_hostile_lines_get_one_answer_each_and_change_nothing(base: Base,
                                                               data: st.DataObject) -> None:
    victim = base.signed("FW0000001", "营业（2099）第0001号")  # never applied: only mutated
    sentinel = base.signed("FW0000002", "营业（2099）第0002号")
    hostile = data.draw(st.lists(hostile_line(victim), min_size=1, max_size=8))
    where = data.draw(st.integers(min_value=0, max_value=len(hostile)))
    lines = [*hostile[:where], orjson.dumps(sentinel), *hostile[where:]]
    with ledger_copy(base) as directory:
        (directory / "in.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        code, out = run("apply", "--json", str(directory / "in.jsonl"))
        answers = [orjson.loads(line) for line in out.splitlines()]
        assert len(answers) == len(lines), out
        assert code == 1
        assert answers[where]["command_id"] == sentinel["command_id"]
        assert answers[where]["status"] == "accepted", answers[where]
        refused = answers[:where] + answers[where + 1:]
        assert all(a["status"] == "rejected" and a["code"] for a in refused), refused
        assert all(len(a["message"] or "") < 2000 for a in refused)
        assert run("audit")[0] == 0
        services = sqlite_services(directory, lambda: datetime.now(UTC))
        try:
            events = services.store.max_notification_id() - base.notifications
        finally:
            services.close()
        # The sentinel's events and the batch's seal are all that was written.
        assert events <= len(answers[where]["events"]) + 2, (events, answers[where])


HOOK_LINES = [
    b'{"command_id":"00000000-0000-4000-8000-000000000001","type":"SuspendLicence","actor":"x",'
    b'"key_id":"x","issued_at":"0001-01-01T00:00:00+05:00","payload":{},"signature":"AAAA"}',
    b'{"type":' + b"[" * 800 + b"1" + b"]" * 800 + b"}",
    b'{"type":"X\\u0000"',
    b'{"command_id":"a\\tb\\nc","type":"' + b"T" * 100_000 + b'"}',
    b"[" * 100_000 + b"]" * 100_000,
    b"\xff\xfe\x00garbage",
    b'{"payload":{"face":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}}",
]


@pytest.mark.slow
def test_the_console_script_answers_every_hostile_line(tmp_path: Path) -> None:
    """The same, as a user runs it: a real process, no traceback, one line per input line."""
    (tmp_path / "p.jsonl").write_bytes(b"\n".join(HOOK_LINES) + b"\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_DATABASE_URL=f"sqlite:///{tmp_path / 'l.db'}",
               LEDGER_KEY_FILE=str(tmp_path / "k.pem"))
    done = subprocess.run([sys.executable, "-m", "commands.cli.main", "apply", "p.jsonl"],
                          cwd=tmp_path, env=env, capture_output=True, timeout=300)
    assert b"Traceback" not in done.stderr + done.stdout, done.stderr
    answers = done.stdout.decode().splitlines()
    assert len(answers) == len(HOOK_LINES), answers
    assert all(a.split("\t")[1] == "rejected" for a in answers)
    assert [a.split("\t")[0] for a in answers][:4] == [
        "00000000-0000-4000-8000-000000000001", "-", "-", "-"]
    assert max(len(a) for a in answers) < 2000
    assert done.returncode == 1
