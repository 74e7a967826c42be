"""How fast do the read models catch up, and how fast does ``ledger show`` answer?

    .venv/bin/python benchmarks/projections.py [--licences N] [--database-url URL]
                                               [--lookups K] [--json FILE] [--reuse]

Builds a ledger of N licences through the bus (set-up, issue, lifecycle, then use: grants,
reads, consents, public queries, counts), with the embedded projections off. Then, on the
same store, it measures

* the raw notification-log read rate: ``select_notifications`` pages decoded into records,
  all topics and only the projections' topics (the ceiling for any projection runner);
* projection catch-up from zero (``ProjectionRunner.rebuild``), in events read per second;
* ``ledger show`` latency: ``get_licence`` on K random identifiers (p50, p99, max).

Targets (issue 4): catch-up >= 20,000 events/s; show p99 <= 5 ms on PostgreSQL.
With no URL it uses a temporary SQLite file. A PostgreSQL URL may name a schema
(``?schema=bench``): it is created if missing and must hold no ledger yet, unless
``--reuse`` is given: then a ledger already there is measured as it is (build once, measure
many times; the ledger's key file sits beside a SQLite file, else in the temporary folder).

Each read-side measure reports events per second of wall-clock time and of this process's
CPU time (``time.process_time``): on a busy machine the CPU figure is the steadier one. On
PostgreSQL the server's CPU is not in it; the wall-clock figure includes it.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

# Run as a script, this file's folder comes first on sys.path, and its name would hide the
# ``projections`` package it measures: put the repository there instead.
if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from commands.bootstrap import Services, bootstrap
from commands.cli.output import progress, table
from commands.demo.scenario import Scenario
from commands.demo.use import use
from commands.settings import load_settings
from ledger.integrity.canonical import format_instant
from ledger.integrity.mapper import decode_stored
from projections.engine import runner as runner_module
from projections.models.queries import get_licence


def open_services(url: str, key_file: Path) -> Services:
    parts = urlsplit(url)
    if parts.scheme.startswith("postgres"):
        schema = parse_qs(parts.query).get("schema", [None])[0]
        if schema:
            import psycopg
            from psycopg import sql

            dsn = urlunsplit(parts._replace(query=""))
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(schema)))
    return bootstrap(load_settings({"LEDGER_DATABASE_URL": url,
                                    "LEDGER_KEY_FILE": str(key_file),
                                    "LEDGER_INLINE_PROJECTIONS": "no"}))


def build(services: Services, licences: int, batch: int, reuse: bool) -> dict[str, float]:
    if services.store.max_notification_id() > 0:
        if reuse:
            return {"commands": 0, "build_s": 0.0, "commands_per_s": 0.0}
        raise SystemExit("error: the ledger is not empty; point --database-url at a fresh one")
    scenario = Scenario(1, lambda: format_instant(datetime.now(UTC)))
    today = datetime.now(UTC).date()
    started = time.perf_counter()
    commands = 0
    with progress() as bar:
        for label, part in (("set-up", scenario.setup), ("issue", lambda: scenario.issue(licences)),
                            ("lifecycle", lambda: scenario.lifecycle(today)),
                            ("use", lambda: use(scenario, today, reads=licences // 2))):
            items = list(part())
            task = bar.add_task(f"building: {label}", total=len(items))
            for i in range(0, len(items), batch):
                services.bus.execute(items[i:i + batch])
                bar.advance(task, len(items[i:i + batch]))
            commands += len(items)
    elapsed = time.perf_counter() - started
    return {"commands": commands, "build_s": elapsed, "commands_per_s": commands / elapsed}


def read_log(services: Services, topics: list[str] | None) -> int:
    """Every notification, page by page as the runner reads them, decoded into a Record."""
    recorder, page = services.store.recorder, runner_module.PAGE
    head = services.store.max_notification_id()
    start, n = 1, 0
    while start <= head:
        last = min(head, start + page - 1)
        rows = recorder.select_notifications(start, page, stop=last, topics=topics or ())
        for row in rows:
            decode_stored(row)
        n += len(rows)
        start = last + 1
    return n


def lookups(services: Services, k: int) -> list[float]:
    ids = [r[0] for r in services.read_db.query("SELECT identifier FROM licence_versions")]
    rng = random.Random(5)
    chosen = [rng.choice(ids) for _ in range(k)]
    for ident in chosen[:50]:  # warm the connection and the plan cache
        get_licence(services.read_db, ident)
    times = []
    for ident in chosen:
        t = time.perf_counter()
        get_licence(services.read_db, ident)
        times.append((time.perf_counter() - t) * 1000)
    return times


def analyse(services: Services, tables: list[str]) -> None:
    """PostgreSQL: planner statistics as autovacuum would have them in a running system.

    Right after a bulk load they are stale, and the runner's page query (a notification
    range filtered by topic) then sorts the whole rest of the log for every page."""
    if services.read_db.dialect == "postgres":
        for table in tables:
            services.read_db.execute(f"ANALYZE {table}")


def timed(fn: Callable[[], int], repeat: int) -> tuple[int, float, float, float]:
    """Run ``fn`` ``repeat`` times: (its count, the median and the best wall-clock time,
    the median CPU time of this process)."""
    times, cpu, n = [], [], 0
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        n = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return n, statistics.median(times), min(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--licences", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200, help="commands per transaction")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each read-side measure (median and best are shown)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE")
    parser.add_argument("--reuse", action="store_true",
                        help="measure a ledger already at the URL instead of refusing it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        key_file = Path(tmp) / "ledger-key.pem"
        if args.reuse and url.startswith("sqlite:///"):
            key_file = Path(urlsplit(url).path[1:]).with_suffix(".key.pem")
        services = open_services(url, key_file)
        try:
            report = run(services, args)
        finally:
            services.close()
    report["database"] = urlsplit(url).scheme
    figures = [
        ("licences", args.licences, ""),
        ("commands built", report["commands"], f"{report['commands_per_s']:,.0f}/s"),
        ("events in the log", report["events"], ""),
        ("raw log read, all topics", f"{report['raw_all_per_s']:,.0f} events/s",
         f"best {report['raw_all_best_per_s']:,.0f}/s;"
         f" CPU {report['raw_all_cpu_per_s']:,.0f}/s"),
        ("raw log read, projection topics", f"{report['raw_topics_per_s']:,.0f} events/s",
         f"{report['raw_topics']} events; best {report['raw_topics_best_per_s']:,.0f}/s;"
         f" CPU {report['raw_topics_cpu_per_s']:,.0f}/s"),
        ("catch-up from zero (rebuild)", f"{report['catch_up_per_s']:,.0f} events/s",
         f"{report['catch_up_events']} events in {report['catch_up_s']:.2f} s;"
         f" best {report['catch_up_best_per_s']:,.0f}/s;"
         f" CPU {report['catch_up_cpu_per_s']:,.0f}/s; target >= 20,000"),
        ("catch-up, per event of the whole log",
         f"{report['events'] / report['catch_up_s']:,.0f} events/s", ""),
        ("show p50", f"{report['show_p50_ms']:.3f} ms", ""),
        ("show p99", f"{report['show_p99_ms']:.3f} ms", "target <= 5 ms (PostgreSQL)"),
        ("show max", f"{report['show_max_ms']:.3f} ms", f"{args.lookups} lookups"),
    ]
    table(f"projections on {report['database']}", ["measure", "value", "note"], figures)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


def run(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"licences": args.licences, **build(services, args.licences,
                                                                 args.batch, args.reuse)}
    report["events"] = services.store.max_notification_id()
    runner = services.projections
    analyse(services, [getattr(services.store.recorder, "events_table_name", "")])
    topics = sorted(set().union(*(p.topics for p in runner.projections)))
    r = args.repeat
    n, median, best, cpu = timed(lambda: read_log(services, None), r)
    report.update(raw_all=n, raw_all_per_s=n / median, raw_all_best_per_s=n / best,
                  raw_all_cpu_per_s=n / cpu)
    n, median, best, cpu = timed(lambda: read_log(services, topics), r)
    report.update(raw_topics=n, raw_topics_per_s=n / median, raw_topics_best_per_s=n / best,
                  raw_topics_cpu_per_s=n / cpu)
    n, median, best, cpu = timed(runner.rebuild, r)
    report.update(catch_up_events=n, catch_up_s=median, catch_up_per_s=n / median,
                  catch_up_best_per_s=n / best, catch_up_cpu_s=cpu, catch_up_cpu_per_s=n / cpu)
    analyse(services, [t for p in runner.projections for t in p.tables])
    times = sorted(lookups(services, args.lookups))
    report.update(show_p50_ms=statistics.median(times),
                  show_p99_ms=times[min(len(times) - 1, int(len(times) * 0.99))],
                  show_max_ms=times[-1])
    return report


if __name__ == "__main__":
    main()
