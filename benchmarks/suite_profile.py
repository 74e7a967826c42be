"""Where a consumer's writer spends its CPU: the µs split per command.

    python -m benchmarks.suite_profile OUT.json [consume arguments...]

runs ``ledger consume`` with a sampling profiler: a thread looks at the writer's (main
thread's) stack about every millisecond and charges the main thread's CPU time used since
the last look (its own CPU clock: waiting on a socket costs nothing) to the stage the
innermost frame on the stack belongs to. cProfile was tried first: timing every call
with a CPU clock slowed the consumer twentyfold and changed what it did (parking backs
off longer when everything is slow). The stages are the issue's:

- decode: ``commands.bus.pipeline.decode_any`` in the writer (with verify workers, only what the
  writer took back from them, and the re-decoding of answers already applied);
- verify: ``check_signature`` (Ed25519) in the writer;
- authorise: ``authenticate`` without its verification, and the policy checks
  (commands/authorisation/policy.py) the handlers call;
- handle: the bus's handling of a command (deduplication, handlers, reading and folding
  state), and the batch's prefetch of the streams it reads;
- encode: ``UnitOfWork.commit`` without the insert: hashing, chaining, the seal's signature
  (made chunk by chunk as the store draws them, on PostgreSQL: LEDGER_INSERT_CHUNK);
- insert: ``EventStore.append`` / ``append_chunks``: rows, the table lock, the commit;
- answer: ``CommandConsumer.publish``: result messages, dead letters, Kafka offsets;
- and beyond the issue's stages: parking (the readiness check of each command before its
  batch), hand-over (waiting for and unpickling what the verify workers return), poll
  (fetching records); other: the rest (grouping, the round's bookkeeping, the sampler).

Each look also charges the wall-clock time since the last one to the same stage: where the
CPU split says what the writer computes, the wall split says where it *waits* (for the
broker in poll, for the commit in insert, for the workers in hand-over), which is what a
low core utilisation is made of.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from types import FrameType

# (file suffix, function name or "*") -> stage; the innermost frame that matches decides.
STAGES: dict[tuple[str, str], str] = {
    ("commands/signed/authenticate.py", "check_signature"): "verify",
    ("commands/bus/pipeline.py", "decode_any"): "decode",
    ("commands/signed/authenticate.py", "authenticate"): "authorise",
    ("commands/authorisation/policy.py", "*"): "authorise",
    ("ledger/store/event_store.py", "append"): "insert",
    ("ledger/store/event_store.py", "append_chunks"): "insert",
    # the records are made as the store draws them (UnitOfWork.commit's chunks, called
    # from inside append_chunks): the innermost match, so making them stays "encode"
    ("ledger/store/application.py", "chunks"): "encode",
    ("ledger/store/application.py", "commit"): "encode",
    ("commands/bus/pipeline.py", "apply"): "handle",
    ("ledger/store/application.py", "prefetch"): "handle",
    ("consumers/command_consumer.py", "publish"): "answer",
    ("consumers/parking_watch.py", "first_unready"): "parking",
    ("consumers/verify_pool.py", "next"): "hand-over",
    ("consumers/rounds.py", "_gather"): "poll",
}
ORDER = ("decode", "verify", "authorise", "handle", "encode", "insert", "answer", "parking",
         "hand-over", "poll", "other")


def stage_of(frame: FrameType | None) -> str:
    while frame is not None:
        code = frame.f_code
        for (suffix, name), stage in STAGES.items():
            if code.co_filename.endswith(suffix) and name in ("*", code.co_name):
                return stage
        frame = frame.f_back
    return "other"


class Sampler(threading.Thread):
    """Charges the main thread's CPU time to stages, one look about every ``interval``."""

    def __init__(self, interval: float = 0.001) -> None:
        super().__init__(daemon=True, name="stage-sampler")
        self.interval = interval
        self.main = threading.main_thread().ident or 0
        self.clock = time.pthread_getcpuclockid(self.main)
        self.seconds = dict.fromkeys(ORDER, 0.0)
        self.wall = dict.fromkeys(ORDER, 0.0)
        self.done = threading.Event()

    def run(self) -> None:
        last, last_wall = time.clock_gettime(self.clock), time.monotonic()
        while not self.done.wait(self.interval):
            now, now_wall = time.clock_gettime(self.clock), time.monotonic()
            stage = stage_of(sys._current_frames().get(self.main))
            self.seconds[stage] += now - last
            self.wall[stage] += now_wall - last_wall
            last, last_wall = now, now_wall


def split(out: str) -> dict[str, float]:
    """CPU seconds per stage, as :func:`main` wrote them."""
    seconds: dict[str, float] = json.loads(Path(out).read_text())["cpu"]
    return seconds


def wall_split(out: str) -> dict[str, float]:
    """Wall-clock seconds per stage (waiting included), as :func:`main` wrote them."""
    seconds: dict[str, float] = json.loads(Path(out).read_text())["wall"]
    return seconds


def scaled(stages: dict[str, float], writer_us_per_command: float) -> dict[str, float]:
    """The shares of ``stages`` as µs per command of a writer measured unprofiled."""
    whole = sum(stages.values()) or 1.0
    return {k: round(v / whole * writer_us_per_command, 1) for k, v in stages.items()}


def main(argv: list[str]) -> int:
    from consumers.__main__ import main as consumers_main

    out, args = argv[0], argv[1:]
    sampler = Sampler()
    sampler.start()
    try:
        return consumers_main(args)
    finally:
        sampler.done.set()
        sampler.join()
        Path(out).write_text(json.dumps({
            "cpu": {k: round(v, 4) for k, v in sampler.seconds.items()},
            "wall": {k: round(v, 4) for k, v in sampler.wall.items()}}))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
