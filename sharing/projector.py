"""The embedded ledger's read models kept up to date by a process of their own.

With the writer in a process of its own (sharing/writer_process.py), the service's process
used to catch the read models up in a thread: its Python held the event loop's interpreter
lock for each page, and on SQLite it held the one write lock the writer commits under.
Since the read models have a file of their own (ledger/store/read_database.py) a process
that only reads the ledger's file can keep them, beside the writer, on whatever CPU the
other two leave: HTTP ÷ bus 0.67-0.75 against 0.56-0.60 for the thread, p99 at half the
peak 10.8-12.7 ms against 11.6-12.8 (alternating ``python -m benchmarks.suite_http`` runs,
docs/benchmarks.md, "A projector process"). It catches up as ``ledger project --follow``
does: page after page while there are new events, then it looks again every ``IDLE``
seconds, so the read models lag the ledger by up to that much.

What happens when ...
- the projector dies (killed, out of memory): the service's writer thread catches up
  instead, as before there was a projector (logged once);
- the service dies, even by SIGKILL: the projector's pipe closes and it exits;
- the service stops: after the writer process has committed its last batch, the projector
  catches up once more and exits, so ``ledger show`` afterwards finds nothing behind;
  one that does not finish within ``STOP_SECONDS`` is ended (the read models then catch up
  on the next start: pages are idempotent);
- a page fails: as for ``ledger project --follow`` (projections/engine/runner.py): a
  projection that fails on an event stops alone, an outage is logged and retried after
  ``RETRY_SECONDS``.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import sys
import time
from multiprocessing.connection import Connection

from commands.bootstrap import Services
from commands.settings import Settings

log = logging.getLogger("sharing.projector")
# Seconds between looks once the read models are up to date. Not less: under load each
# look then found a few commands' events, and small pages cost more CPU a command, taken
# from the writer (HTTP ÷ bus 0.61-0.62 at 0.05 s, 0.67-0.68 at 0.2 s, 0.67-0.75 at 0.5 s;
# p99 at half the peak 16-24, 17-25 and 11-13 ms). Reads that must see every committed
# event (signed queries, the signed-in pages: sharing/pages/guard.py) catch up first.
IDLE = 0.5
RETRY_SECONDS = 5.0  # after a catch-up failed (the database away)
REPEAT_SECONDS = 300.0  # a failure that lasts is said again this often
STOP_SECONDS = 60


class Projector:
    """The projector process's handle, in the service's process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._conn: Connection | None = None
        self._child: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        """Start it, unless it runs (the service's start and its lifespan both start the
        writer: a second projector would replace the first's pipe and end it)."""
        if self._child is not None:
            return
        ctx = multiprocessing.get_context("spawn")  # no copies of the event loop's threads
        ours, theirs = ctx.Pipe()
        level = logging.getLogger().getEffectiveLevel()  # the service's --verbose
        self._child = ctx.Process(target=projector_main, args=(theirs, self._settings, level),
                                  name="ledger-projector", daemon=True)
        self._child.start()
        theirs.close()
        self._conn = ours

    def alive(self) -> bool:
        return self._child is not None and self._child.is_alive()

    def stop(self) -> None:
        """Catch up once more and end (call after the last write)."""
        conn, child, self._conn, self._child = self._conn, self._child, None, None
        if conn is None or child is None:
            return
        with contextlib.suppress(OSError):  # it is gone already
            conn.send("stop")
        child.join(STOP_SECONDS)
        if child.is_alive():
            log.error("the projector process did not stop within %d s; it was ended",
                      STOP_SECONDS)
            child.kill()
            child.join()
        conn.close()


def projector_main(conn: Connection, settings: Settings, log_level: int) -> None:
    """The projector process: catch up until told to stop or the service is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # service decides when this one stops
    logging.basicConfig(level=log_level, stream=sys.stderr,  # as commands/cli/main.py
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from commands.bootstrap import bootstrap

    try:
        services = bootstrap(settings, after_commit=lambda _ids: None)
    except Exception as exc:  # the service's thread keeps them meanwhile (it sees us go)
        log.error("the projector could not open the ledger (%s); the service's process"
                  " keeps the read models instead", _said(exc))
        return
    project_until_stopped(conn, services)


def project_until_stopped(conn: Connection, services: Services) -> None:
    """Catch up while there are new events, look again every ``IDLE`` seconds; on "stop"
    catch up once more; on the pipe's end (the service gone) just end. Closes ``services``."""
    failing = Failing()
    try:
        wait = 0.0
        while True:
            if conn.poll(wait):
                try:
                    conn.recv()  # "stop"
                except EOFError:
                    return  # the service is gone: its next start catches up
                _catch_up_once_more(services)
                return
            try:
                wait = 0.0 if services.projections.catch_up() else IDLE
            except Exception as exc:  # the database away: say so, wait, try again
                failing.failed(exc)
                wait = RETRY_SECONDS
            else:
                failing.recovered()
    finally:
        services.close()


class Failing:
    """Says that catching up fails once, again only when the reason changes or every
    ``REPEAT_SECONDS``, and when it works again: not a line every 5 s for hours."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.tries = 0
        self._said: tuple[str, float] | None = None  # what was said last, and when

    def failed(self, exc: Exception) -> None:
        now, reason = time.monotonic(), _said(exc)
        self.tries += 1
        if self.since is None:
            self.since = now
        said = self._said
        if said is None or said[0] != reason or now - said[1] >= REPEAT_SECONDS:
            hint = (" (a damaged read-model file: run `ledger audit`, then delete the"
                    " FILE-read files; they are built again)") if "malformed" in reason \
                else ""
            log.error("read models did not catch up (%s)%s; retrying every %.0f s (%d"
                      " tries)", reason, hint, RETRY_SECONDS, self.tries)
            self._said = (reason, now)

    def recovered(self) -> None:
        if self.since is not None:
            log.warning("read models catch up again, after %.0f s and %d failed tries",
                        time.monotonic() - self.since, self.tries)
            self.since, self.tries, self._said = None, 0, None


def _said(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _catch_up_once_more(services: Services) -> None:
    try:
        services.projections.catch_up()
    except Exception as exc:  # they catch up on the next start
        log.error("read models did not catch up at the stop (%s)", _said(exc))
