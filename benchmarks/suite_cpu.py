"""CPU seconds of processes from ``/proc``: consumers, their worker processes, the
PostgreSQL backends serving them, and the broker (benchmarks/suite_kafka.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a live process (None once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def pg_backends(pid: int) -> set[int]:
    """PostgreSQL backends serving process ``pid`` (matched by its TCP client ports)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        table = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return set()
    ports = {int(f[1].split(":")[1], 16) for f in (line.split() for line in table)
             if f[9] in inodes and f[2].endswith(":1538")}  # remote port 5432
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{name}/cmdline").read_text()
        except OSError:
            continue
        if cmd.startswith("postgres:") and "(" in cmd:
            port = cmd.split("(", 1)[1].split(")", 1)[0]
            if port.isdigit() and int(port) in ports:
                found.add(int(name))
    return found


def children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (a consumer's verify workers)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            text = Path(f"/proc/{parent}/task/{parent}/children").read_text()
        except OSError:
            continue
        for child in (int(c) for c in text.split()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


class CpuWatch:
    """CPU seconds of some processes, their children (the verify workers, counted
    apart in :attr:`workers`) and the PostgreSQL backends serving them."""

    def __init__(self, pids: list[int], broker: int | None) -> None:
        self.pids, self.broker = pids, broker
        self.backends: set[int] = set()
        self.workers: set[int] = set()
        self.seen: dict[int, float] = {}

    def sample(self) -> dict[int, float]:
        for pid in self.pids:
            self.backends |= pg_backends(pid)
            self.workers |= children(pid)
        for pid in [*self.pids, *self.workers, *self.backends,
                    *([self.broker] if self.broker else [])]:
            seconds = cpu_seconds(pid)
            if seconds is not None:
                self.seen[pid] = seconds
        return dict(self.seen)


def between(a: dict[int, float], b: dict[int, float], pids: Any) -> float:
    return sum(b.get(p, 0.0) - a.get(p, 0.0) for p in pids)
