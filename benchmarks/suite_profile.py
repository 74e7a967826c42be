"""Where a consumer's writer spends its CPU: the µs split per command.

    python -m benchmarks.suite_profile STATS_FILE [consume arguments...]

runs ``ledger consume`` under :mod:`cProfile` with the main thread's CPU clock (the
Kafka clients' own threads are not the writer) and writes the stats to STATS_FILE;
:func:`split` turns them into the stages of the issue: decode, verify, authorise,
handle, encode, insert, answer, and the rest (polling, batching, parking). Each stage
is the CPU spent inside its functions entered from outside them, so nested calls are
not counted twice:

- decode: ``commands.bus.decode_any`` in the writer (with verify workers, only what the
  writer took back from them, and the re-decoding of answers already applied);
- verify: ``check_signature`` (Ed25519) in the writer;
- authorise: ``authenticate`` without its verification, and the policy checks
  (commands/policy.py) the handlers call;
- handle: the bus's handling of a command (deduplication, handlers, folding events)
  without the two above, and the batch's prefetch of the streams it reads;
- encode: ``UnitOfWork.commit`` without the insert: hashing, chaining, the seal's signature;
- insert: ``EventStore.append``: rows, the table lock, the transaction's commit;
- answer: ``CommandConsumer.publish``: result messages, dead letters, Kafka offsets.

cProfile slows calls down unevenly; the shares are what to read, and :func:`scaled` turns
them into µs per command of an unprofiled run.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any

Func = tuple[str, int, str]

STAGES: dict[str, Callable[[Func], bool]] = {
    "decode": lambda f: f[0].endswith("commands/bus.py") and f[2] == "decode_any",
    "verify": lambda f: f[0].endswith("commands/authenticate.py") and f[2] == "check_signature",
    "authenticate": lambda f: f[0].endswith("commands/authenticate.py")
    and f[2] == "authenticate",
    "policy": lambda f: f[0].endswith("commands/policy.py"),
    "handle": lambda f: f[0].endswith("commands/bus.py") and f[2] == "_handle",
    "prefetch": lambda f: f[0].endswith("ledger/application.py") and f[2] == "prefetch",
    "commit": lambda f: f[0].endswith("ledger/application.py") and f[2] == "commit",
    "insert": lambda f: f[0].endswith("ledger/store.py") and f[2] == "append",
    "answer": lambda f: f[0].endswith("consumers/command_consumer.py") and f[2] == "publish",
    "run": lambda f: f[0].endswith("consumers/command_consumer.py") and f[2] == "run",
}


def entered(stats: dict[Func, Any], inside: Callable[[Func], bool]) -> float:
    """CPU seconds spent in functions matching ``inside``, entered from outside them."""
    total = 0.0
    for func, (_, _, _, _, callers) in stats.items():
        if inside(func):
            total += sum(c[3] for caller, c in callers.items() if not inside(caller))
    return total


def split(stats_file: str) -> dict[str, float]:
    """Seconds per stage (see the module's docstring) from a profile written by :func:`main`."""
    stats: dict[Func, Any] = pstats.Stats(stats_file).stats  # type: ignore[attr-defined]
    t = {name: entered(stats, pred) for name, pred in STAGES.items()}
    stages = {
        "decode": t["decode"],
        "verify": t["verify"],
        "authorise": t["authenticate"] - t["verify"] + t["policy"],
        "handle": t["handle"] - t["authenticate"] - t["policy"] + t["prefetch"],
        "encode": t["commit"] - t["insert"],
        "insert": t["insert"],
        "answer": t["answer"],
    }
    stages = {k: max(v, 0.0) for k, v in stages.items()}
    stages["other"] = max(t["run"] - sum(stages.values()), 0.0)
    return stages


def scaled(stages: dict[str, float], writer_us_per_command: float) -> dict[str, float]:
    """The shares of ``stages`` as µs per command of a writer measured unprofiled."""
    whole = sum(stages.values()) or 1.0
    return {k: round(v / whole * writer_us_per_command, 1) for k, v in stages.items()}


def main(argv: list[str]) -> int:
    from consumers.__main__ import main as consumers_main

    out, args = argv[0], argv[1:]
    profile = cProfile.Profile(time.thread_time)  # the writer's own thread
    try:
        profile.runcall(consumers_main, args)
    finally:
        profile.dump_stats(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
