"""The writer process's own side (sharing/writer_process.py has the service's side and
why there are two): open the ledger, then commit what the pipe holds, batch by batch,
answering each request.

Messages: the service sends lists of ``(kind, request, payload)``: ``command`` with a
decoded signed command (its signature is checked here, by the bus), ``call`` with a
module-level function and its arguments, ``stop``. The writer answers
``("answers", [(request, result)])`` per batch, ``("answer", request, value)`` per call,
``("failed", [request], exception)``.
"""

from __future__ import annotations

import logging
import pickle
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

from commands.bootstrap import Services
from commands.bus.failures import is_outage
from commands.settings import Settings
from commands.signed.envelope import SignedCommand
from consumers.store_watch import DATABASE_ERRORS, StoreWatch, describe
from ledger.store.event_store import DRIVER_ERRORS
from sharing.writer import WriterDatabaseError, WriterStoppedError, commit_batch

log = logging.getLogger("sharing.writer")


def writer_main(conn: Connection, settings: Settings, max_batch: int,
                log_level: int = logging.WARNING) -> None:
    """The writer process: open the ledger, then batches until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=log_level, stream=sys.stderr,  # as commands/cli/main.py
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from commands.bootstrap import bootstrap

    watch = StoreWatch()
    try:
        services = bootstrap(settings, after_commit=watch.committed)
    except BaseException as exc:
        conn.send(("failed-start", _portable(exc)))
        return
    watch.attach(services)
    conn.send(("ready",))
    try:
        _serve(conn, services, watch, max_batch)
    finally:
        services.close()


def _serve(conn: Connection, services: Services, watch: StoreWatch, max_batch: int) -> None:
    """Batches until told to stop. The read models are not brought up to date here: the
    projector process does it (sharing/projector.py; the service's process if that one
    died: sharing/writer.py ``committed_elsewhere``), so this process only writes."""
    batches = commands_written = 0
    while True:
        try:
            work: list[tuple[str, int, Any]] = conn.recv()
        except EOFError:
            return  # the service's process is gone
        while len(work) < max_batch and work[-1][0] != "stop" and conn.poll(0):
            work.extend(conn.recv())
        commands = [w for w in work if w[0] == "command"]
        for i in range(0, len(commands), max_batch):  # LEDGER_BATCH_SIZE bounds a batch
            _commit(conn, services, watch, commands[i:i + max_batch])
            batches += 1
        commands_written += len(commands)
        for _kind, request, (fn, args) in (w for w in work if w[0] == "call"):
            try:
                conn.send(("answer", request, fn(services, *args)))
            except BaseException as exc:
                conn.send(("failed", [request], _portable(exc)))
        if work[-1][0] == "stop":
            log.info("the writer process handled %d command(s) in %d batch(es)",
                     commands_written, batches)
            return


def _commit(conn: Connection, services: Services, watch: StoreWatch,
            commands: list[tuple[str, int, SignedCommand]]) -> None:
    requests = [request for _, request, _ in commands]
    signed = [s for _, _, s in commands]
    try:
        results = commit_batch(services, watch, signed)
    except BaseException as exc:  # nothing of the batch was written
        conn.send(("failed", requests, _portable(exc)))
        return
    conn.send(("answers", list(zip(requests, results, strict=True))))


def _portable(exc: BaseException) -> BaseException:
    """An exception the service's process can unpickle and answer as before: a database
    that is away stays a database error (503), a refusal stays itself."""
    if isinstance(exc, DATABASE_ERRORS + DRIVER_ERRORS) or is_outage(exc):
        return WriterDatabaseError(describe(exc))
    if isinstance(exc, WriterStoppedError):
        return exc
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {describe(exc)}")
