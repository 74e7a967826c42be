"""``python -m consumers consume|post|loadgen``: the same subcommands as ``ledger``.

Lets the consumers run where the console script is not installed (tests start
``ledger consume`` as ``[sys.executable, "-m", "consumers", "consume"]``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from commands.output import quiet_library_tracebacks
from consumers.cli import register
from ledger.errors import LedgerError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m consumers")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    register(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr,
    )
    quiet_library_tracebacks()
    try:
        code: int = args.func(args)
    except LedgerError as exc:
        print(f"error: {exc.message} [{exc.code}]", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `python -m consumers loadgen ... | head`
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
