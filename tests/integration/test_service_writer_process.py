"""The service's writer, in its own process (``ledger serve``'s default) and in a thread:
what another process writes is seen at once, a writer process that dies is replaced, and
a stop leaves no process behind."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from commands.bootstrap import bootstrap
from commands.setting_sections import ServiceSettings
from commands.settings import Settings, load_settings
from commands.signed.envelope import decode_envelope
from ledger.domain.streams import receipt_stream
from sharing import writer_process
from sharing.writer import Writer, WriterDatabaseError, serving_services
from sharing.writer_process import ProcessWriter
from sharing.writers import writer_for
from tests.integration.service_fixtures import clock
from tests.integration.service_server import Served, running_service
from tests.integration.use_town import Town

__all__ = ["clock"]  # fixtures, used by name



def posting(served: Served, envelope: dict[str, Any]
            ) -> tuple[threading.Thread, list[httpx.Response]]:
    """Post ``envelope`` from a thread of its own; its answer lands in the list."""
    answers: list[httpx.Response] = []
    poster = threading.Thread(target=lambda: answers.append(httpx.post(
        served.base_url + "/api/v1/commands", content=orjson.dumps(envelope), timeout=30)))
    poster.start()
    return poster, answers

def service_writer(served: Served) -> tuple[ProcessWriter, Any]:
    """The service's writer and its process (with a pid)."""
    writer = served.app.state.writer
    assert isinstance(writer, ProcessWriter)
    child = writer._child
    assert child is not None and child.pid is not None
    return writer, child


def killed_writer(served: Served) -> tuple[ProcessWriter, Any]:
    """Kill the service's writer process (SIGKILL) and wait until the service noticed."""
    writer, child = service_writer(served)
    os.kill(child.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while writer._conn is not None:  # the service notices the pipe close
        assert time.monotonic() < deadline, "the dead writer was not noticed"
        time.sleep(0.02)
    return writer, child


@pytest.mark.parametrize("writer", ["process", "thread"])
def test_a_grant_revoked_by_another_process_is_refused_at_once(
        town: Town, database_url: str, tmp_path: Path, writer: str) -> None:
    """The writer caches state between batches; another writer of the ledger (a consumer of
    another lane, here: services of the same database on a lane of their own) revoking a
    grant must not leave the service allowing reads under it from that cache. (A writer of
    the service's own lane collides on the seal chain and so refreshes anyway.)"""
    with running_service(database_url, tmp_path / "ledger-key.pem", writer=writer) as served:
        ident = town.ident("001")
        first = served.http.post("/api/v1/commands", content=orjson.dumps(
            town.read(town.a, ident, "G-A", command_type="VerifyLicence", case="CASE-W-1")))
        assert first.status_code == 200, first.text  # the grant is now in the cache
        other = bootstrap(load_settings({"LEDGER_DATABASE_URL": database_url,
                                         "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")}),
                          lane="another-writer")
        try:
            [revoked] = other.bus.execute([town.envelope(town.mgmt, "RevokeGrant", {
                "grant_id": "G-A", "reason": "reorganised"})])
            assert revoked.accepted, revoked
        finally:
            other.close()
        after = served.http.post("/api/v1/commands", content=orjson.dumps(
            town.read(town.a, ident, "G-A", command_type="VerifyLicence", case="CASE-W-2")))
        assert after.status_code == 403, after.text
        assert after.json()["code"] == "grant_revoked"


def test_a_writer_process_that_dies_is_replaced_and_nothing_is_lost(
        town: Town, database_url: str, tmp_path: Path) -> None:
    with running_service(database_url, tmp_path / "ledger-key.pem",
                         writer="process") as served:
        writer, child = killed_writer(served)  # out of memory, say
        envelope = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                             case="CASE-W-KILL")
        response = served.http.post("/api/v1/commands", content=orjson.dumps(envelope))
        assert response.status_code == 200, response.text  # a new writer process took it
        assert town.services.store.read_stream(receipt_stream(envelope["command_id"]))
        assert served.http.get("/healthz").json() == {"status": "ok"}
        replacement = writer._child
        assert replacement is not None and replacement.pid != child.pid
    replacement.join(timeout=10)
    assert not replacement.is_alive()  # the stop took the writer process down with it


def test_ledger_serve_writes_in_a_process_of_its_own_unless_it_has_nothing_to_write(
        tmp_path: Path) -> None:
    service = ServiceSettings()

    def settings(url: str) -> Settings:
        return load_settings({"LEDGER_DATABASE_URL": url,
                              "LEDGER_KEY_FILE": str(tmp_path / "k.pem")})

    on_file = settings(f"sqlite:///{tmp_path / 'l.db'}")
    assert isinstance(writer_for(on_file, service, kafka=False), ProcessWriter)
    for writer in (writer_for(on_file, service, kafka=True),
                   writer_for(on_file, service, kafka=False, asked="thread"),
                   writer_for(settings("sqlite:///:memory:"), service, kafka=False)):
        assert type(writer) is Writer


def test_starting_a_new_writer_process_does_not_stall_the_other_requests(
        town: Town, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening the ledger in a new writer process takes a while (a large ledger: up to
    START_SECONDS); meanwhile the service's other requests (pages, public status, the
    version) must still be answered, not wait behind the start in the event loop."""
    slow_start = ProcessWriter._start_child

    def slowly(self: ProcessWriter) -> Any:
        time.sleep(2.0)  # a ledger that takes two seconds to open
        return slow_start(self)

    with running_service(database_url, tmp_path / "ledger-key.pem",
                         writer="process") as served:
        killed_writer(served)  # out of memory, say
        monkeypatch.setattr(ProcessWriter, "_start_child", slowly)
        envelope = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                             case="CASE-W-STALL")
        poster, answers = posting(served, envelope)
        time.sleep(0.3)  # the command is now waiting for the new writer process
        started = time.monotonic()
        version = served.http.get("/api/v1/version")
        waited = time.monotonic() - started
        poster.join(timeout=30)
        assert version.status_code == 200
        assert waited < 1.0, f"the version waited {waited:.1f} s behind the writer's start"
        assert answers and answers[0].status_code == 200, answers
        assert town.services.store.read_stream(receipt_stream(envelope["command_id"]))


def test_a_request_held_by_a_writer_process_that_died_is_not_told_nothing_was_done(
        town: Town, database_url: str, tmp_path: Path) -> None:
    """The writer process may die after its batch committed and before it answered: the
    answer must not say that nothing was done (then a client would sign the command
    again under a new id and apply it twice), but to post it again with the same id."""
    with running_service(database_url, tmp_path / "ledger-key.pem",
                         writer="process") as served:
        writer, child = service_writer(served)
        os.kill(child.pid, signal.SIGSTOP)  # it holds the request, as under load
        envelope = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                             case="CASE-W-LOST")
        poster, answers = posting(served, envelope)
        deadline = time.monotonic() + 10
        while not writer._pending:
            assert time.monotonic() < deadline, "the command did not reach the writer"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        poster.join(timeout=30)
        assert answers and answers[0].status_code == 503, answers
        problem = answers[0].json()
        assert problem["code"] != "shutting_down", problem
        assert "same command id" in problem["detail"], problem
        again = served.http.post("/api/v1/commands", content=orjson.dumps(envelope))
        assert again.status_code == 200, again.text  # and the same id then gets its result


def test_large_messages_both_ways_do_not_deadlock_the_pipe(
        town: Town, database_url: str, tmp_path: Path) -> None:
    """The service's process writes a large message (many commands queued in one turn)
    while the writer process answers many small batches: each side must keep reading the
    other, or both wait for ever with the event loop blocked in the send."""
    settings = load_settings({"LEDGER_DATABASE_URL": database_url,
                              "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")})
    writer = ProcessWriter(settings, serving_services(settings), window=0.0, max_batch=1)
    writer.start()
    base = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                     case="CASE-W-PIPE", purpose="p" * 2000)
    forged = [decode_envelope({**base, "command_id": str(uuid.uuid4()),
                               "signature": "A" * 86 + "=="}) for _ in range(1500)]

    async def burst() -> list[Any]:
        first = [writer.submit(s) for s in forged[:750]]  # one message ...
        await asyncio.sleep(0.05)  # ... the writer works on it, answering one by one
        second = [writer.submit(s) for s in forged[750:]]  # ... while this one is sent
        return await asyncio.gather(*(asyncio.wrap_future(f) for f in first + second))

    done: list[list[Any]] = []
    runner = threading.Thread(target=lambda: done.append(asyncio.run(burst())), daemon=True)
    try:
        runner.start()
        runner.join(timeout=60)
        assert done, "the service's process and the writer process wait for each other"
        assert {r.code for r in done[0]} == {"bad_signature"}
    finally:
        if not done:  # unblock both sides so that the test run can go on
            child = writer._child
            if child is not None and child.pid is not None:
                os.kill(child.pid, signal.SIGKILL)
            runner.join(timeout=10)
        writer.stop()


def test_while_a_new_writer_process_cannot_open_the_database_commands_say_so(
        town: Town, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer process that died is replaced at the next command; if the database is
    away then, that command and those of the next seconds (no new attempt yet) are
    answered 503 ``database``, not ``shutting_down``: the service is not stopping."""
    def away(self: ProcessWriter) -> Any:
        raise WriterDatabaseError("cannot open the ledger database: connection refused")

    with running_service(database_url, tmp_path / "ledger-key.pem",
                         writer="process") as served:
        killed_writer(served)  # out of memory, say
        monkeypatch.setattr(ProcessWriter, "_start_child", away)
        refused_at_restart(served, town, "CASE-W-DB", "database")


def refused_at_restart(served: Served, town: Town, case: str, code: str) -> None:
    """A command that starts a new writer process, then one within RESPAWN_AFTER (no new
    attempt yet): both answered 503 ``code``."""
    for n in (1, 2):
        envelope = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                             case=f"{case}-{n}")
        answer = served.http.post("/api/v1/commands", content=orjson.dumps(envelope))
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == code, answer.text


def test_a_writer_process_that_is_stuck_does_not_stall_the_other_requests(
        town: Town, database_url: str, tmp_path: Path) -> None:
    """A writer process that waits (a table locked by a migration, a database that hangs)
    stops reading its pipe; once the pipe is full, the commands still coming must wait in
    the service's process, not block its event loop: pages, the public status, the
    version and the health check are answered meanwhile (with one thread the event loop
    never waited for the writer either)."""
    with running_service(database_url, tmp_path / "ledger-key.pem",
                         writer="process") as served:
        _, child = service_writer(served)
        base = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                         case="CASE-W-STUCK", purpose="p" * 2000)
        bodies = [orjson.dumps({**base, "command_id": str(uuid.uuid4()),
                                "signature": "A" * 86 + "=="}) for _ in range(400)]

        async def post_all() -> list[int]:
            async with httpx.AsyncClient(base_url=served.base_url, timeout=60) as client:
                answers = await asyncio.gather(*(client.post("/api/v1/commands", content=b)
                                                  for b in bodies))
            return [a.status_code for a in answers]

        statuses: list[list[int]] = []
        os.kill(child.pid, signal.SIGSTOP)  # it waits, and reads nothing
        try:
            poster = threading.Thread(target=lambda: statuses.append(asyncio.run(post_all())))
            poster.start()
            time.sleep(3)  # 400 commands of 2 kB: more than the pipe holds
            started = time.monotonic()
            version = served.http.get("/api/v1/version", timeout=30)
            waited = time.monotonic() - started
        finally:
            os.kill(child.pid, signal.SIGCONT)
        poster.join(timeout=60)
        assert version.status_code == 200
        assert waited < 1.0, f"the version waited {waited:.1f} s for a stuck writer"
        assert statuses and set(statuses[0]) == {401}, statuses  # forged, all answered


def test_a_stop_ends_a_writer_process_that_reads_nothing(
        town: Town, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer process that waits for ever (a lock never released, a stopped process)
    with a full pipe held the service's stop for ever: SIGTERM never ended `ledger
    serve`. The stop ends it after STOP_SECONDS; no request is left waiting."""
    monkeypatch.setattr(writer_process, "STOP_SECONDS", 2, raising=False)
    settings = load_settings({"LEDGER_DATABASE_URL": database_url,
                              "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")})
    writer = ProcessWriter(settings, serving_services(settings), window=0.0, max_batch=500)
    writer.start()
    child = writer._child
    assert child is not None and child.pid is not None
    base = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                     case="CASE-W-STOP", purpose="p" * 2000)
    forged = [decode_envelope({**base, "command_id": str(uuid.uuid4()),
                               "signature": "A" * 86 + "=="}) for _ in range(400)]
    os.kill(child.pid, signal.SIGSTOP)

    async def submit() -> list[Any]:
        futures = [writer.submit(s) for s in forged]  # more than the pipe holds
        await asyncio.sleep(0.5)  # the sending thread now waits for the writer to read
        return futures

    futures = asyncio.run(submit())
    stopper = threading.Thread(target=writer.stop, daemon=True)
    started = time.monotonic()
    stopper.start()
    stopper.join(timeout=30)
    try:
        assert not stopper.is_alive(), "the stop waits for ever for a writer that reads nothing"
        assert time.monotonic() - started < 15
        assert not child.is_alive()
        assert all(f.done() for f in futures)  # each answered (503), none left waiting
    finally:
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
