"""Telling a server that is down from a record that fails: wait for one, set the other aside.

A command can fail for two very different reasons, and the right answer to each is the
opposite of the right answer to the other:

- **the database is down or unreachable** (connection refused or lost, pool exhausted,
  server shutting down, lock timeouts): nothing is wrong with the commands. They must
  be retried once the server is back, never answered as failed and never dead-lettered,
  or an outage would throw away valid work.
- **one record fails deterministically** (a bug or a damaged stored row it touches makes
  handling raise, or the database refuses a value it carries): retrying it forever
  would stop every record behind it. It is tried a bounded number of times, then
  answered ``internal_error`` and, from Kafka, dead-lettered, so the line moves on.

:func:`is_outage` draws that line. When in doubt it says "outage": waiting is always
safe, dead-lettering a valid command is not. Callers also probe the database before
setting a record aside (:func:`database_reachable`), so an outage that surfaces as an
unusual error type is still waited out.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable

from eventsourcing import persistence

# Statement-level errors: the server is up and refused *this* statement, so the same
# statement fails the same way again. Everything else from a database is operational.
_STATEMENT_ERRORS: tuple[type[BaseException], ...] = (
    persistence.DataError, persistence.ProgrammingError, persistence.NotSupportedError,
    persistence.IntegrityError,
    sqlite3.DataError, sqlite3.IntegrityError, sqlite3.ProgrammingError,
    sqlite3.NotSupportedError,
)
_DATABASE_ERRORS: tuple[type[BaseException], ...] = (persistence.PersistenceError,
                                                     sqlite3.Error)


def _psycopg_classes() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    psycopg = sys.modules.get("psycopg")  # only loaded with PostgreSQL
    if psycopg is None:
        return (), ()
    statement = (psycopg.DataError, psycopg.ProgrammingError, psycopg.NotSupportedError,
                 psycopg.IntegrityError)
    return statement, (psycopg.Error,)


def is_outage(exc: BaseException) -> bool:
    """Is ``exc`` a sign that the database (or the network to it) is unavailable?

    Database errors count as outages unless they are statement-level refusals (bad
    data, integrity, programming errors); OS-level connection and timeout errors do too.
    Anything else (a bug, a damaged row, a value no handler expected) is not."""
    statement, driver = _psycopg_classes()
    if isinstance(exc, _STATEMENT_ERRORS + statement):
        return False
    return isinstance(exc, _DATABASE_ERRORS + driver + (ConnectionError, TimeoutError))


def database_reachable(probe: Callable[[], object]) -> bool:
    """Run a cheap query; False when it fails in any way (the server is not usable)."""
    try:
        probe()
    except Exception:
        return False
    return True


def describe_failure(exc: BaseException) -> str:
    """A short, one-line account of an unexpected error for an answer (no traceback)."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:200] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def log_unexpected(log: logging.Logger, what: str, exc: BaseException) -> None:
    """Log an unexpected error: one ERROR line saying what failed and why (always shown),
    and its traceback at INFO (shown with ``-v``, as services run), so a user of the
    command line never sees a traceback but an operator can always get one."""
    log.error("%s: %s", what, describe_failure(exc))
    log.info("the traceback of that error:", exc_info=exc)
