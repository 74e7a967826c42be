"""The ``ledger`` console script: turns arguments into calls on the composed services.

Exit codes: 0 success; 1 the command ran but found a problem (a rejected command, an
invalid identifier, a failed audit); 2 bad usage or configuration; 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence

from commands.cli import (
    bench as cli_bench,
)
from commands.cli import consume as consumers_cli
from commands.cli import (
    demo as cli_demo,
)
from commands.cli import (
    doctor as cli_doctor,
)
from commands.cli import (
    files as cli_files,
)
from commands.cli import (
    keys as cli_keys,
)
from commands.cli import (
    quality as cli_quality,
)
from commands.cli import (
    read as cli_read,
)
from commands.cli import (
    stock_import as cli_import,
)
from commands.cli import (
    tools as cli_tools,
)
from commands.cli import (
    transparency as cli_transparency,
)
from commands.cli.output import fail, quiet_library_tracebacks
from commands.cli.serve import register as register_serve
from ledger.errors import LedgerError

DESCRIPTION = """\
Signed, event-sourced ledger of electronic licences (电子证照).

With no configuration it runs embedded on SQLite (.ledger/ledger.db, ledger key
.ledger/ledger-key.pem). Set LEDGER_DATABASE_URL=postgresql://… for production and
KAFKA_BOOTSTRAP_SERVERS for the Kafka consumers. Start with `ledger demo`, then
`ledger doctor`.

Results (tables, JSON, result lines) go to stdout, progress and messages to stderr;
piped or redirected, a table is written as tab-separated lines.

exit codes: 0 success; 1 the command ran but found a problem (a rejected command, an
invalid identifier, a failed audit or check); 2 bad usage or configuration (the message
says what to fix); 130 interrupted.
"""


EXIT_CODES = ("exit codes: 0 success; 1 the command ran but found a problem; 2 bad usage or"
              " configuration (the message says what to fix); 130 interrupted.")
LIBRARY_LOGGERS = ("kafka", "pyhanko", "pyhanko_certvalidator", "fontTools", "eventsourcing",
                   "psycopg", "faker")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ledger", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log more detail, libraries' own log lines included")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    cli_demo.register(sub)
    cli_tools.register(sub)
    cli_read.register(sub)
    cli_read.register_use(sub)
    cli_transparency.register(sub)
    consumers_cli.register(sub)
    cli_files.register(sub)
    cli_keys.register(sub)
    cli_doctor.register(sub)
    cli_bench.register(sub)
    cli_import.register(sub)
    cli_quality.register(sub)
    register_serve(sub)
    _add_exit_codes(sub)
    return parser


def _add_exit_codes(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Each command's --help ends with the exit codes (``proof inclusion`` too)."""
    for command in sub.choices.values():
        if "exit codes" not in (command.description or "") + (command.epilog or ""):
            command.epilog = EXIT_CODES
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_exit_codes(action)


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser(), argv)


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parse, set up logging, run the chosen subcommand; errors become messages, not traces.

    Shared by ``ledger`` and ``python -m consumers``."""
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr,
    )
    quiet_library_tracebacks()
    if not args.verbose:
        # Libraries' own log lines (kafka-python repeats a refused connection a dozen
        # times) say nothing our message does not; --verbose shows them.
        for library in LIBRARY_LOGGERS:
            logging.getLogger(library).setLevel(logging.CRITICAL)
        from cryptography.utils import CryptographyDeprecationWarning

        warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
    try:
        code: int = args.func(args)
    except LedgerError as exc:
        return fail(f"{exc.message} [{exc.code}]")
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `ledger loadgen | head`
        return 0
    except Exception as exc:
        if not _database_error(exc):
            raise
        if _damaged_storage(exc):  # the same statement fails the same way: no retry advice
            words = " ".join(str(exc).split())
            print(f"error: storage damaged: {words}; run `ledger audit` to see where"
                  " [storage]", file=sys.stderr)
            return 1
        # The server went away or refused a statement midway. Every write is a transaction
        # of its own (a batch, a page of read models): what was committed stays, what was
        # not is rolled back, and running the command again resumes.
        return fail(f"the database failed: {' '.join(str(exc).split())}. What was committed"
                    " stays and nothing is half-written; run the command again once the"
                    " database is back [database]")
    return code


def _database_error(exc: BaseException) -> bool:
    """An error of the database driver (psycopg, only if it was loaded; sqlite3), or
    eventsourcing's translation of one."""
    import sqlite3

    from eventsourcing.persistence import PersistenceError

    psycopg = sys.modules.get("psycopg")
    return isinstance(exc, sqlite3.Error | PersistenceError) or (
        psycopg is not None and isinstance(exc, psycopg.Error))


def _damaged_storage(exc: BaseException) -> bool:
    """The database answers but its files are damaged: SQLite's plain DatabaseError ("database
    disk image is malformed", "file is not a database"), PostgreSQL's data or index
    corruption (SQLSTATE XX001, XX002); eventsourcing's error carries the driver's as cause."""
    import sqlite3

    driver = exc.__cause__ if exc.__cause__ is not None else exc
    if type(driver) is sqlite3.DatabaseError:
        return True
    errors = getattr(sys.modules.get("psycopg"), "errors", None)
    return errors is not None and isinstance(driver, errors.DataCorrupted
                                             | errors.IndexCorrupted)


if __name__ == "__main__":
    sys.exit(main())
