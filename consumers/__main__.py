"""``python -m consumers consume|post|loadgen``: the same subcommands as ``ledger``.

Lets the consumers run where the console script is not installed (tests start
``ledger consume`` as ``[sys.executable, "-m", "consumers", "consume"]``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from commands.cli.consume import register
from commands.cli.main import run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m consumers")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    register(sub)
    return run(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
