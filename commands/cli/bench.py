"""``ledger bench``: the benchmark suite beside its baselines (docs/benchmarks.md).

The suite lives in ``benchmarks/`` at the repository root, beside the packages, and is
not installed with them: ``ledger bench`` runs from a source checkout.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from commands.cli.output import fail


def register(sub: Any) -> None:
    """Add ``bench`` to the ``ledger`` subparsers."""
    p = sub.add_parser("bench", help="benchmarks beside their baselines, ratios in one run")
    p.add_argument("--quick", action="store_true",
                   help="small sizes, under 3 minutes (growth at 10k and 30k licences)")
    p.add_argument("--json", metavar="FILE", help="write every figure and ratio here")
    p.add_argument("--database-url", metavar="URL",
                   help="PostgreSQL database to make (and drop) schemas in"
                        " (default: LEDGER_TEST_PG or postgresql://postgres@127.0.0.1:5432/"
                        "ledger_test)")
    p.add_argument("--growth", metavar="N,N,...",
                   help="licence counts of the growth figures (default: 10k,30k with --quick,"
                        " else 10k,100k,1M)")
    p.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)  # tests only
    p.set_defaults(func=bench)


def bench(args: argparse.Namespace) -> int:
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "benchmarks" / "suite.py").exists() and str(checkout) not in sys.path:
        sys.path.append(str(checkout))  # an editable install maps only the packages
    try:
        suite: Any = importlib.import_module("benchmarks.suite")
    except ImportError as exc:
        return fail(f"ledger bench needs the source checkout (benchmarks/ beside commands/):"
                    f" {exc}")
    args.json = Path(args.json) if args.json else None
    if args.growth is not None:
        try:
            args.growth = suite.sizes_list(args.growth)
        except argparse.ArgumentTypeError as exc:
            return fail(f"--growth {exc}")
    if args.database_url is None:
        args.database_url = suite.DEFAULT_PG
    code: int = suite.execute(args)
    return code
