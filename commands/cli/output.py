"""Terminal output: results on stdout, progress and diagnostics on stderr.

A command's result (its table, its JSON, its result lines) goes to stdout; progress,
notes, warnings and summaries beside a machine-readable result go to stderr, so
``ledger stats | less`` shows the table and piping never mixes the two. On a terminal a
table is drawn to the window's width; anywhere else (a pipe, a file) it is written as
tab-separated lines, one row a line, never wrapped: ``# title``, the header, the rows.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
          console: Console = err) -> None:
    """Draw a table on a terminal; elsewhere write it as TSV (one row a line)."""
    body = [list(r) for r in rows]
    if not _is_tty(console):
        _tsv(title, columns, body, console)
        return
    t = Table(title=title, title_justify="left")
    for i, c in enumerate(columns):
        numeric = bool(body) and all(isinstance(r[i], int | float) for r in body)
        # Fold rather than cut: a cut identifier or code is a wrong one.
        t.add_column(c, justify="right" if numeric else "left", overflow="fold")
    for r in body:
        t.add_row(*[str(v) for v in r])
    console.print(t)


def _is_tty(console: Console) -> bool:
    # The file itself, not ``console.is_terminal``: FORCE_COLOR (set by many CI systems)
    # makes rich draw for a terminal even into a pipe, and a pipe wants one line a row.
    isatty = getattr(console.file, "isatty", None)
    return bool(isatty and isatty())


def _cell(value: Any) -> str:
    # A tab or line break inside a value would split its row: show them as spaces.
    return " ".join(str(value).split("\t")).replace("\r", " ").replace("\n", " ")


def _tsv(title: str, columns: Sequence[str], body: list[list[Any]], console: Console) -> None:
    lines = [f"# {_cell(title)}", "\t".join(columns),
             *("\t".join(_cell(v) for v in r) for r in body)]
    console.file.write("\n".join(lines) + "\n\n")
    console.file.flush()


def result_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table that is the command's result: on stdout."""
    table(title, columns, rows, console=out)


def progress() -> AbstractContextManager[Progress]:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=not sys.stderr.isatty(),
    )


def fail(message: str) -> int:
    """Print a clear error (never a traceback) and return the usage/config exit code."""
    print(f"error: {message}", file=sys.stderr)  # plain: never wrapped, easy to grep
    return 2


def _without_library_traceback(record: logging.LogRecord) -> bool:
    if record.name.startswith("kafka"):
        record.exc_info, record.exc_text, record.stack_info = None, None, None
    return True


def quiet_library_tracebacks() -> None:
    """kafka-python logs a full traceback each time a broker refuses a connection; our own
    log lines already say the broker is away, so keep its message and drop the trace.
    (A filter on the ``kafka`` logger would miss its child loggers: handlers see all.)"""
    for handler in logging.getLogger().handlers:
        handler.addFilter(_without_library_traceback)
