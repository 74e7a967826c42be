"""Child processes of the growth measurement, so each one's peak RSS is its own.

    python -m benchmarks.suite_child generate --licences N   # signed JSON lines to stdout
    python -m benchmarks.suite_child load --licences MAX --batch B
    python -m benchmarks.suite_child audit | project

``load`` reads a target licence count on each stdin line, applies the generator's
commands through ``MessageBus.execute`` up to it and answers one JSON line; ``audit``
runs ``ledger audit --json`` in this process and answers its time; ``project`` opens the
ledger as ``ledger project`` does, creates the read models' tables, and answers the time
of its catch-up alone (at 10k licences the process's start-up and the tables' creation
would otherwise be half of it). The database and key come from
LEDGER_DATABASE_URL/LEDGER_KEY_FILE.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.suite_env import peak_rss_mb

GENERATE = [sys.executable, "-m", "benchmarks.suite_child", "generate"]


def answer(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def generate(licences: int, seed: int) -> None:
    import orjson

    from commands.demo.scenario import Scenario
    from consumers.loadgen import instant_clock

    scenario = Scenario(seed, instant_clock(datetime.now(UTC)))
    out = sys.stdout.buffer
    for envelope in scenario.setup():
        out.write(orjson.dumps(envelope) + b"\n")
    for envelope in scenario.issue(licences):
        out.write(orjson.dumps(envelope) + b"\n")
    out.flush()


def setup_count(seed: int) -> int:
    from commands.demo.scenario import Scenario

    return sum(1 for _ in Scenario(seed, lambda: "2026-01-01T00:00:00Z").setup())


def load(licences: int, batch: int, seed: int) -> None:
    """Apply commands from a generator child (signing overlaps applying on two cores)."""
    from commands.bootstrap import bootstrap
    from commands.settings import load_settings

    services = bootstrap(load_settings())
    gen = subprocess.Popen([*GENERATE, "--licences", str(licences), "--seed", str(seed)],
                           stdout=subprocess.PIPE)
    assert gen.stdout is not None
    done, setup = 0, setup_count(seed)
    try:
        for request in sys.stdin:
            target = setup + int(request)
            bus_s = wait_s = 0.0
            rejected = applied = 0
            while done < target:
                started = time.perf_counter()
                lines = [gen.stdout.readline() for _ in range(min(batch, target - done))]
                lines = [line for line in lines if line]
                if not lines:
                    raise RuntimeError("the generator ended early")
                mid = time.perf_counter()
                results = services.bus.execute(lines)
                bus_s += time.perf_counter() - mid
                wait_s += mid - started
                rejected += sum(not r.accepted for r in results)
                applied += len(lines)
                done += len(lines)
            answer({"licences": int(request), "commands": applied, "bus_s": round(bus_s, 3),
                    "wait_s": round(wait_s, 3), "rejected": rejected,
                    "events": services.store.max_notification_id(),
                    "per_command_us": round(bus_s / max(applied, 1) * 1e6, 1),
                    "peak_rss_mb": peak_rss_mb()})
    finally:
        gen.kill()
        gen.wait()
        services.close()


def cli(argv: list[str]) -> None:
    """Run ``ledger ARGV`` here, timed; its stdout is kept out of the answer channel."""
    from commands.cli.main import main

    captured = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(captured):
        code = main(argv)
    seconds = time.perf_counter() - started
    out = captured.getvalue().strip()
    report = json.loads(out) if out.startswith("{") else {}
    answer({"exit": code, "seconds": round(seconds, 3), "ok": report.get("ok"),
            "events": report.get("events"), "errors": len(report.get("errors", [])),
            "first_error": report.get("first_error"), "peak_rss_mb": peak_rss_mb()})


def project() -> None:
    """What ``ledger project`` does, its catch-up timed."""
    from commands.bootstrap import bootstrap
    from commands.settings import load_settings

    services = bootstrap(load_settings())
    try:
        services.projections.positions()  # creates the read models' tables: once, not per event
        started = time.perf_counter()
        applied = services.projections.catch_up()
        seconds = time.perf_counter() - started
    finally:
        services.close()
    # "events" is left to the caller: the log's events, as for the audit.
    answer({"exit": 0, "seconds": round(seconds, 3), "applied": applied,
            "peak_rss_mb": peak_rss_mb()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=("generate", "load", "audit", "project"))
    parser.add_argument("--licences", type=int, default=0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.what == "generate":
        generate(args.licences, args.seed)
    elif args.what == "load":
        load(args.licences, args.batch, args.seed)
    elif args.what == "audit":
        cli(["audit", "--json"])
    else:
        project()


if __name__ == "__main__":
    main()
