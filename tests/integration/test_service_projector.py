"""The projector process of ``ledger serve`` on the embedded ledger (sharing/projector.py):
it keeps the read models while the service runs, catches up once more at a stop, ends
with the service however that ends, and if it dies the service's process takes over."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from commands.bootstrap import bootstrap
from commands.settings import load_settings
from sharing import projector as projector_module
from sharing.writer_process import ProcessWriter
from tests.integration.service_fixtures import clock
from tests.integration.service_server import free_port, running_service
from tests.integration.test_service_catch_up_writes import head_and_behind
from tests.integration.use_town import Town

__all__ = ["clock"]  # fixtures, used by name


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def caught_up(database_url: str, key: Path, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while (behind := head_and_behind(database_url, key)[1]) > 0:
        assert time.monotonic() < deadline, f"read models stay {behind} event(s) behind"
        time.sleep(0.05)


def verify(town: Town, case: str) -> bytes:
    return orjson.dumps(town.read(town.a, town.ident("001"), "G-A",
                                  command_type="VerifyLicence", case=case))


def test_the_projector_keeps_the_read_models_and_a_dead_one_is_taken_over(
        town: Town, database_url: str, tmp_path: Path) -> None:
    key = tmp_path / "ledger-key.pem"
    with running_service(database_url, key) as served:
        writer = served.app.state.writer
        assert isinstance(writer, ProcessWriter) and writer._projector is not None
        child = writer._projector._child
        assert child is not None and child.pid is not None
        assert served.http.post("/api/v1/commands", content=verify(town, "CASE-P-1")
                                ).status_code == 200
        caught_up(database_url, key)  # by the projector: the service's thread leaves them
        os.kill(child.pid, signal.SIGKILL)  # out of memory, say
        child.join(timeout=10)
        assert served.http.post("/api/v1/commands", content=verify(town, "CASE-P-2")
                                ).status_code == 200
        caught_up(database_url, key)  # by the service's own thread now
        assert writer._projector is None


def test_a_projector_started_twice_is_one_process(database_url: str, tmp_path: Path) -> None:
    """``ledger serve`` starts the writer at its start and again in its lifespan."""
    projector = projector_module.Projector(load_settings({
        "LEDGER_DATABASE_URL": database_url, "LEDGER_KEY_FILE": str(tmp_path / "k.pem")}))
    projector.start()
    projector.start()
    try:
        names = [p.name for p in multiprocessing.active_children()]
        assert names.count("ledger-projector") == 1, names
    finally:
        projector.stop()
    assert "ledger-projector" not in [p.name for p in multiprocessing.active_children()]


def test_the_projector_catches_up_once_more_at_the_stop(
        town: Town, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In a thread here, so that its look-again interval can be made longer than the test:
    only "stop" brings the last events in."""
    monkeypatch.setattr(projector_module, "IDLE", 600.0)
    key = tmp_path / "ledger-key.pem"
    settings = load_settings({"LEDGER_DATABASE_URL": database_url,
                              "LEDGER_KEY_FILE": str(key)})
    ours, theirs = multiprocessing.Pipe()
    projecting = threading.Thread(target=projector_module.project_until_stopped,
                                  args=(theirs, bootstrap(settings)))
    projecting.start()
    caught_up(database_url, key)  # its first catch-up, then a look every 600 s
    writer = bootstrap(load_settings({"LEDGER_DATABASE_URL": database_url,
                                      "LEDGER_KEY_FILE": str(key),
                                      "LEDGER_INLINE_PROJECTIONS": "false"}))
    try:
        results = writer.bus.execute([town.read(town.a, town.ident("001"), "G-A",
                                                command_type="VerifyLicence", case="C-S")])
        assert results[0].accepted, results[0]
    finally:
        writer.close()
    assert head_and_behind(database_url, key)[1] > 0
    ours.send("stop")
    projecting.join(timeout=30)
    assert not projecting.is_alive()
    assert head_and_behind(database_url, key)[1] == 0


def test_a_service_killed_takes_its_projector_and_writer_with_it(
        town: Town, database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "LEDGER_DATABASE_URL": database_url,
           "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")}
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "commands.cli.main", "serve", "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(children := _children(server.pid)) < 3:  # tracker, writer, projector
            assert server.poll() is None and time.monotonic() < deadline, children
            time.sleep(0.1)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 15
    while alive := [pid for pid in children if _alive(pid)]:
        assert time.monotonic() < deadline, f"left behind: {alive}"
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone, only not yet reaped
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_a_failure_that_lasts_is_said_once_and_its_end_too(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(projector_module.time, "monotonic", lambda: now[0])
    failing = projector_module.Failing()
    with caplog.at_level(logging.WARNING, logger="sharing.projector"):
        for _ in range(10):  # 50 s of retries: one line
            failing.failed(OSError("database or disk is full"))
            now[0] += projector_module.RETRY_SECONDS
        failing.failed(OSError("database disk image is malformed"))  # another reason
        now[0] += projector_module.REPEAT_SECONDS
        failing.failed(OSError("database disk image is malformed"))  # still, much later
        failing.recovered()
        failing.recovered()  # nothing more to say
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4, lines
    assert "disk is full" in lines[0] and "(1 tries)" in lines[0]
    assert "malformed" in lines[1] and "delete the FILE-read files" in lines[1]
    assert "(12 tries)" in lines[2]
    assert lines[3].startswith("read models catch up again, after") and "12 failed" in lines[3]
