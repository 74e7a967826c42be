"""Terminal output: tables and progress on stderr for people, plain lines on stdout.

Results that scripts read (result lines, JSON) go to stdout; tables, progress and
notes go to stderr, so piping stdout never mixes the two.
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


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
          console: Console = err) -> None:
    t = Table(title=title, title_justify="left")
    body = [list(r) for r in rows]
    for i, c in enumerate(columns):
        numeric = bool(body) and all(isinstance(r[i], int | float) for r in body)
        # Fold rather than cut: a cut identifier or code is a wrong one.
        t.add_column(c, justify="right" if numeric else "left", overflow="fold")
    for r in body:
        t.add_row(*[str(v) for v in r])
    console.print(t)


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
