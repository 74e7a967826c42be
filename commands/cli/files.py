"""``ledger render | annotate | verify-file``: licence files (Art. 3, 20).

Key material and the file store are found through ``settings.files`` (:mod:`commands.settings`)
(``LEDGER_KEYS_DIR``, ``LEDGER_FILES_DIR``, ``LEDGER_FONT_FILE``, ``LEDGER_ACTOR``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from ledger.domain.access import AGENT_AUTH_METHODS


def register(sub: Any) -> None:
    p = sub.add_parser("render", help="render, sign and record a licence's original file")
    p.add_argument("identifier", metavar="IDENTIFIER")
    p.add_argument("--format", choices=("pdf", "ofd"), required=True)
    p.add_argument("--out", type=Path, required=True, metavar="FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object (instead of"
                   " the SHA-256 line on stdout and the summary on stderr)")
    p.set_defaults(func=_later("render"))

    p = sub.add_parser("annotate", help="make, sign and record an annotated copy (加注件)")
    p.add_argument("identifier", metavar="IDENTIFIER")
    p.add_argument("--purpose", required=True, metavar="TEXT", help="用证事由")
    p.add_argument("--recipient", required=True, metavar="CODE")
    p.add_argument("--until", required=True, type=_date, metavar="YYYY-MM-DD")
    p.add_argument("--out", type=Path, required=True, metavar="FILE")
    _reader_options(p)
    p.add_argument("--grant", default="", metavar="ID", help="the grant the copy is made under")
    p.add_argument("--mode", choices=("function", "consent", "delegation"), default="function")
    p.add_argument("--agent", metavar="CODE", help="delegation: who presents the licence")
    p.add_argument("--agent-auth", choices=AGENT_AUTH_METHODS, help="delegation through a"
                   " platform: how it authenticated the agent's real name")
    p.add_argument("--json", action="store_true", help="print one JSON object (instead of"
                   " the SHA-256 line on stdout and the summary on stderr)")
    p.set_defaults(func=_later("annotate"))

    p = sub.add_parser("verify-file", help="verify a licence file (exit 0 only for a genuine,"
                       " current, valid file); recorded as an access")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _reader_options(p)
    p.add_argument("--purpose", default="file verification", metavar="TEXT")
    p.set_defaults(func=_later("verify"))


def _later(name: str) -> Callable[[argparse.Namespace], int]:
    """The command in :mod:`commands.cli.files_run`, imported when it runs: rendering and
    signing bring in pyHanko, a quarter of a second every other command need not pay."""
    def run(args: argparse.Namespace) -> int:
        from commands.cli import files_run as cli_files_run

        result: int = getattr(cli_files_run, name)(args)
        return result
    return run


def _reader_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as", dest="actor", metavar="CODE",
                   help="acting department (default: LEDGER_ACTOR); its key is in LEDGER_KEYS_DIR")
    p.add_argument("--operator", default=None, help="the person acting (default: login name)")
    p.add_argument("--matter", default="-", metavar="CODE", help="matter (事项) code")
    p.add_argument("--case", default="-", metavar="NUMBER", help="case number (办件编号)")


def _date(text: str) -> str:
    try:
        parsed: date | None = date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 10:
        raise argparse.ArgumentTypeError(f"expected a date written YYYY-MM-DD, got {text!r}")
    return text


