"""A consumer killed with SIGKILL leaves no verify worker behind: a worker whose parent is
gone ends itself (consumers/verify_pool.py ``exit_with_parent``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from consumers.verify_pool import PARENT_CHECK_SECONDS

CONSUMER = """
import sys, time
from consumers.verify_pool import VerifyPool
pool = VerifyPool(1, 1 << 20)
pool.warm(wait=True)
print(" ".join(str(pid) for pid in pool._pool()._processes), flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_verify_workers_end_when_their_consumer_is_killed() -> None:
    consumer = subprocess.Popen([sys.executable, "-c", CONSUMER], stdout=subprocess.PIPE,
                                text=True, cwd=Path(__file__).parents[2])
    try:
        assert consumer.stdout is not None
        workers = [int(pid) for pid in consumer.stdout.readline().split()]
        assert len(workers) == 1 and all(alive(pid) for pid in workers)
        os.kill(consumer.pid, signal.SIGKILL)
        consumer.wait(timeout=10)
        deadline = time.monotonic() + 5 * PARENT_CHECK_SECONDS + 5
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, f"verify workers {workers} outlived the consumer"
            time.sleep(0.1)
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait()
        for pid in workers if "workers" in locals() else []:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
