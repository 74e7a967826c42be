"""``ledger bench``: the ledger beside its baselines, every figure a ratio from one run.

    python -m benchmarks.suite [--quick] [--json FILE] [--database-url URL]

Measures on PostgreSQL (fresh schemas, dropped afterwards), SQLite where it applies:
ingest in-process (ledger vs eventsourcing vs raw inserts of the same rows), end to end
through Kafka (vs raw kafka-python), audit (vs raw Ed25519 verify), projection catch-up
(vs raw notification reads), show/verify latency and growth in time and peak RSS; then
checks issue 6's targets. See docs/benchmarks.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import suite_growth, suite_http, suite_ingest, suite_kafka, suite_report
from benchmarks.suite_env import DEFAULT_PG, check_database, machine, versions
from commands.cli.output import err


@dataclass(frozen=True)
class Sizes:
    ingest_licences: int
    sqlite_licences: int
    kafka_licences: int  # 0: not measured
    growth: tuple[int, ...]
    lookups: int
    verifies: int
    ingest_batch: int = 500  # LEDGER_BATCH_SIZE's default: what apply and consume use
    load_batch: int = 500  # bulk-loading the growth ledger: the fastest honest path
    http_licences: int = 1_000  # the sharing service (benchmarks/suite_http.py)
    http_requests: int = 2_000


MODES = {
    "smoke": Sizes(30, 30, 0, (60, 120), 30, 10, http_licences=30, http_requests=40),
    # 100k licences take this machine's ledger over 2 minutes to load: see docs/benchmarks.md.
    "quick": Sizes(2_000, 1_000, 2_000, (10_000, 30_000), 1_000, 200),
    # 5,000 requests per HTTP figure: at ~2,000/s a figure of 1 s swung by a third.
    "full": Sizes(20_000, 5_000, 20_000, (10_000, 100_000, 1_000_000), 5_000, 1_000,
                  http_requests=5_000),
}


def run(mode: str, base: str, growth: tuple[int, ...] | None = None,
        say: Any = None) -> dict[str, Any]:
    """Every measurement of ``mode``; returns the report (figures, ratios, targets)."""
    say = say or (lambda text: err.print(f"[dim]{text}[/]", markup=True))
    sizes = MODES[mode] if not growth else replace(MODES[mode], growth=growth)
    check_database(base)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    report: dict[str, Any] = {
        "suite": "ledger bench", "mode": mode, "started_at": datetime.now(UTC).isoformat(),
        "machine": machine(), "versions": versions(base), "sizes": asdict(sizes),
        "section_s": timings,
    }

    def section(name: str, fn: Any) -> Any:
        t = time.perf_counter()
        value = fn()
        timings[name] = round(time.perf_counter() - t, 1)
        return value

    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        work = Path(tmp)
        say(f"ingest in-process: {sizes.ingest_licences:,} licences, PostgreSQL and SQLite")
        report["ingest"] = {
            "postgresql": section("ingest_postgresql", lambda: suite_ingest.ingest_postgres(
                base, sizes.ingest_licences, sizes.ingest_batch, work)),
            "sqlite": section("ingest_sqlite", lambda: suite_ingest.ingest_sqlite(
                sizes.sqlite_licences, sizes.ingest_batch, work))}
        if sizes.kafka_licences:
            say(f"end to end through Kafka: {sizes.kafka_licences:,} licences")
            lines = suite_ingest.command_lines(sizes.kafka_licences)
            report["kafka"] = section("kafka", lambda: suite_kafka.through_kafka(
                base, lines, sizes.ingest_batch, work))
        else:
            report["kafka"] = {"available": False, "reason": f"not measured in {mode} mode"}
        report["http"] = section("http", lambda: suite_http.http(
            work, sizes.http_licences, sizes.http_requests, 16, say))
        report["growth"] = section("growth", lambda: suite_growth.growth(
            base, list(sizes.growth), sizes.load_batch, work, sizes.lookups, sizes.verifies,
            say))
    report["duration_s"] = round(time.perf_counter() - started, 1)
    report["targets"] = suite_report.targets(report) + suite_http.targets(report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_flags(parser)
    args = parser.parse_args(argv)
    return execute(args)


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, under 3 minutes (growth at 10k and 30k licences)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every figure here")
    parser.add_argument("--database-url", default=DEFAULT_PG, metavar="URL",
                        help=f"PostgreSQL database to make schemas in (default {DEFAULT_PG})")
    parser.add_argument("--growth", type=sizes_list, metavar="N,N,...",
                        help="licence counts of the growth figures (default: 10k,30k with"
                             " --quick, else 10k,100k,1M)")
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)


def sizes_list(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected counts like 10000,100000") from None
    if not sizes or min(sizes) < 1 or list(sizes) != sorted(set(sizes)):
        raise argparse.ArgumentTypeError(f"{text!r}: expected increasing positive counts")
    return sizes


def execute(args: argparse.Namespace) -> int:
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    try:
        report = run(mode, args.database_url, getattr(args, "growth", None))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    suite_http.render(report.get("http"))
    suite_report.render(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        err.print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
