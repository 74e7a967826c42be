"""A new writer process in place of one that died (sharing/writer_process.py ``_replace``):
one that cannot open the ledger neither holds the service's stop past STOP_SECONDS nor
makes the service say that it is shutting down."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sharing import writer_process
from tests.integration.service_fixtures import clock
from tests.integration.service_server import running_service
from tests.integration.test_service_writer_process import (
    killed_writer,
    posting,
    refused_at_restart,
)
from tests.integration.use_town import Town

__all__ = ["clock"]  # fixtures, used by name


def never_opens(*_: Any) -> None:
    """A writer process whose ledger never opens (a table locked by a migration)."""
    time.sleep(600)


def test_a_stop_ends_a_writer_process_that_is_still_starting(
        town: Town, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A stop while a replacement writer process is opening the ledger waited for the
    start (up to START_SECONDS, 120 s), not STOP_SECONDS: SIGTERM took over two minutes,
    and a supervisor that kills the service sooner left the starting process behind."""
    monkeypatch.setattr(writer_process, "STOP_SECONDS", 2, raising=False)
    monkeypatch.setattr(writer_process, "START_SECONDS", 30, raising=False)
    with running_service(database_url, tmp_path / "ledger-key.pem",
                         writer="process") as served:
        writer, _ = killed_writer(served)  # out of memory, say
        monkeypatch.setattr(writer_process, "writer_main", never_opens)
        envelope = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                             case="CASE-W-STARTING")
        poster, answers = posting(served, envelope)
        deadline = time.monotonic() + 10
        while writer._starting is None:
            assert time.monotonic() < deadline, "no new writer process was started"
            time.sleep(0.02)
        time.sleep(0.5)  # the new process now waits to open the ledger
        started = time.monotonic()
        stopper = threading.Thread(target=writer.stop, daemon=True)
        stopper.start()
        stopper.join(timeout=40)
        took = time.monotonic() - started
        poster.join(timeout=30)
        assert took < 10, f"the stop waited {took:.0f} s for a writer process's start"
        assert answers and answers[0].status_code == 503, answers


def dies_opening(*_: Any) -> None:
    """A writer process that dies while it opens the ledger (out of memory, say)."""
    os._exit(1)


def test_while_a_new_writer_process_dies_opening_the_ledger_commands_are_not_told_a_stop(
        town: Town, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A replacement that dies while it opens the ledger (or does not open it in time)
    was answered 503 ``shutting_down``, "the service is shutting down", for that command
    and those of the next RESPAWN_AFTER seconds: the service is not stopping, and a client
    (or a balancer) that takes that at its word goes elsewhere; 503 ``unavailable``."""
    with running_service(database_url, tmp_path / "ledger-key.pem",
                         writer="process") as served:
        killed_writer(served)  # out of memory, say
        monkeypatch.setattr(writer_process, "writer_main", dies_opening)
        refused_at_restart(served, town, "CASE-W-DIES", "unavailable")


def test_ledger_serve_says_so_when_its_writer_process_dies_opening_the_ledger(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """At start-up: a plain error and exit status 2, not a traceback."""
    from commands.cli.main import main

    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("LEDGER_KEY_FILE", str(tmp_path / "ledger-key.pem"))
    monkeypatch.setattr(writer_process, "writer_main", dies_opening)
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "error: the ledger's writer process could not start" in err, err
    assert "Traceback" not in err
