"""End to end: signed commands through Kafka (Tansu, started here) into PostgreSQL.

    python -m benchmarks.kafka_e2e [--licences N] [--batch-sizes 200,500]
        [--consumers 1,2] [--partitions P] [--database URL] [--json FILE]

The ledger side is the real thing: ``ledger post`` (in-process, ``consumers.producer``)
puts the signed commands on a topic, then C ``ledger consume`` processes apply them to
PostgreSQL; progress is read from their tracking rows every 50 ms. Reported:

* steady commands/s: first command applied to last (the group join excluded): the
  sustained end-to-end rate, since a producer posts far faster;
* CPU per command in that window, from ``/proc``: the consumers, the PostgreSQL
  backends serving them, and the broker. On a 2-core machine the sum bounds the rate;
* for ``ledger bench`` (:func:`through_kafka`): the same (key, value) records sent with a
  plain ``KafkaProducer`` (acks=all, idempotent) and read back with a plain
  ``KafkaConsumer``;
* on the command line: the same stream through ``MessageBus.execute`` with the same batch
  size and no Kafka at all (in-process), which bounds what one consumer can reach.

Target (issue 3): >= 3,000 signed commands/s end to end on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from benchmarks.suite_cpu import CpuWatch, between
from benchmarks.suite_env import (
    DEFAULT_PG,
    check_database,
    ledger_env,
    peak_rss_mb,
    pg_schema,
    ratio,
)
from commands.setting_sections import DEFAULT_VERIFY_WORKERS
from commands.settings import load_settings
from consumers.config import kafka_options
from consumers.producer import Prepared, Signer, post, prepare
from ledger.integrity.signing import SigningKey, save_signing_key

PARTITIONS = 3


def applied(base: str, schema: str, topic: str) -> int:
    """Commands applied so far: the sum over partitions of their tracked offset + 1."""
    with psycopg.connect(base) as conn:
        try:
            row = conn.execute(sql.SQL(
                "SELECT coalesce(sum(n + 1), 0) FROM (SELECT max(notification_id) AS n FROM"
                " {}.ledger_tracking WHERE application_name LIKE %s GROUP BY application_name)"
                " AS t").format(sql.Identifier(schema)), (f"{topic}:%",)).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def consume(env: dict[str, str], progress: Callable[[], int], total: int, consumers: int,
            work: Path, broker_pid: int | None = None,
            profile: Path | None = None) -> dict[str, Any]:
    """Run ``consumers`` ``ledger consume`` processes until ``total`` commands are applied.

    Two rates: *steady*, first command applied to last, and *middle*, from 10 % to 90 %
    of the commands applied. The middle leaves out the set-up and the stream's tail,
    where commands that must wait for others (see :mod:`consumers.parking`) pause their
    partitions: it is what the consumers sustain. CPU per command is the middle's.
    """
    procs = []
    for i in range(consumers):  # profiled: under cProfile (benchmarks/suite_profile.py)
        runner = ["benchmarks.suite_profile", f"{profile}.{i}"] if profile else ["consumers"]
        with open(work / f"consumer-{i}.log", "ab") as err:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", *runner, "consume", "--until-idle", "3"],
                env={**os.environ, **env}, stdout=err, stderr=err))
    watch = CpuWatch([p.pid for p in procs], broker_pid)
    started = time.perf_counter()
    samples: list[tuple[float, int, dict[int, float]]] = []
    done = 0
    deadline = started + max(120.0, total / 200)
    peaks: dict[int, float] = {}
    while done < total and all(p.poll() is None for p in procs) \
            and time.perf_counter() < deadline:
        for p in procs:
            peaks[p.pid] = max(peaks.get(p.pid, 0.0), peak_rss_mb(p.pid) or 0.0)
        cpu = watch.sample()
        done = progress()
        samples.append((time.perf_counter(), done, cpu))
        time.sleep(0.05)
    for p in procs:
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
    if done < total or not samples:
        tail = (work / "consumer-0.log").read_text(errors="replace")[-600:]
        raise RuntimeError(f"the consumers applied {done} of {total} commands: {tail}")

    def reached(count: float) -> tuple[float, int, dict[int, float]]:
        return next(s for s in samples if s[1] >= count)

    first, last = reached(1), reached(total)
    low, high = reached(total * 0.1), reached(total * 0.9)
    middle = max(high[1] - low[1], 1)

    def per_command(pids: Any) -> float:
        return round(between(low[2], high[2], pids) / middle * 1e6, 1)

    # The rate in each tenth of the stream: where the set-up, parking or an unequal
    # share of partitions slows the run down (docs/benchmarks.md, issue 18).
    marks = [first] + [reached(total * k / 10) for k in range(1, 10)] + [last]
    tenths = [round((b[1] - a[1]) / max(b[0] - a[0], 1e-3)) for a, b in pairwise(marks)]
    writer_us = per_command([p.pid for p in procs])
    workers_us = per_command(watch.workers)
    consumer_us = round(writer_us + workers_us, 1)
    pg_us = per_command(watch.backends)
    broker_us = per_command([broker_pid] if broker_pid else [])
    steady_s = max(last[0] - first[0], 1e-3)
    bound = 2e6 / max(consumer_us + pg_us + broker_us, 1.0)  # both cores busy, nothing else
    window = max(total - first[1], 1)
    return {
        "consumers": consumers, "steady_per_s": round(window / steady_s),
        "middle_per_s": round(middle / max(high[0] - low[0], 1e-3)),
        "consume_steady_s": round(steady_s * total / window, 3),
        "consume_wall_s": round(last[0] - started, 3),
        "group_join_s": round(first[0] - started, 3),
        "consumer_cpu_us_per_command": consumer_us,
        "writer_cpu_us_per_command": writer_us,
        "verify_workers_cpu_us_per_command": workers_us,
        "postgres_cpu_us_per_command": pg_us,
        "broker_cpu_us_per_command": broker_us,
        "cpu_bound_per_s_2_cores": round(bound),
        "core_utilisation": round(window / steady_s / bound, 3),
        "load_average": round(os.getloadavg()[0], 2),
        "consumer_rss_mb": max(peaks.values(), default=None),
        "tenths_per_s": tenths,
    }


def _topics(tag: str, partitions: int) -> tuple[str, dict[str, int]]:
    topic = f"bench-{tag}"
    return topic, {topic: partitions, f"{topic}.results": partitions, f"{topic}.dlq": 1}


def _env(url: str, key: Path, bootstrap: str, topic: str, tag: str,
         batch: int) -> dict[str, str]:
    return {**ledger_env(url, key), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "LEDGER_CONSUMER_GROUP": f"g-{tag}", "LEDGER_COMMANDS_TOPIC": topic,
            "LEDGER_RESULTS_TOPIC": f"{topic}.results", "LEDGER_DLQ_TOPIC": f"{topic}.dlq",
            "LEDGER_BATCH_SIZE": str(batch), "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "LEDGER_KAFKA_HEARTBEAT_MS": "1000"}


def run_once(broker: Any, base: str, commands: list[Prepared], key: Path, batch: int,
             consumers: int, work: Path, partitions: int = PARTITIONS,
             workers: int | None = None, profile: Path | None = None) -> dict[str, Any]:
    """Post ``commands`` to fresh topics and consume them into a fresh schema
    (``workers``: ``LEDGER_VERIFY_WORKERS`` of the consumers, None for the default)."""
    tag = uuid.uuid4().hex[:8]
    topic, topics = _topics(tag, partitions)
    broker.create_topics(topics)
    with pg_schema(base, "kafka") as url:
        env = _env(url, key, broker.bootstrap, topic, tag, batch)
        if workers is not None:
            env["LEDGER_VERIFY_WORKERS"] = str(workers)
        started = time.perf_counter()
        post(commands, kafka_options(load_settings(env)), 15.0)
        post_s = time.perf_counter() - started
        schema = url.split("?schema=")[1]
        out = consume(env, lambda: applied(base, schema, topic), len(commands), consumers,
                      work, broker.process.pid, profile)
    return {"batch": batch, "commands": len(commands), "verify_workers": workers,
            "post_s": round(post_s, 3),
            "post_per_s": round(len(commands) / post_s), **out}


def through_kafka(base: str, lines: list[bytes], batch: int, work: Path) -> dict[str, Any]:
    """``ledger bench``'s figures, or ``{"available": False, "reason": ...}``."""
    try:
        from kafka import KafkaProducer

        from tests.kafka_broker import read_topic, tansu
    except ImportError as exc:
        return {"available": False, "reason": f"cannot import the Kafka tooling: {exc}"}
    commands = prepare(enumerate(lines, 1), Signer(None), "bench")
    key = work / "kafka-key.pem"
    save_signing_key(SigningKey.generate(), key)
    out: dict[str, Any] = {"available": True, "commands": len(commands), "batch": batch,
                           "partitions": PARTITIONS, "verify_workers_setting": os.environ.get(
                               "LEDGER_VERIFY_WORKERS", str(DEFAULT_VERIFY_WORKERS))}
    try:
        with tansu(work) as broker:
            raw_topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
            broker.create_topics({raw_topic: PARTITIONS})
            out.update(_raw(KafkaProducer, read_topic, broker.bootstrap, raw_topic, commands))
            out.update(run_once(broker, base, commands, key, batch, 1, work))
            out["split"] = profiled_split(broker, base, commands, key, batch, work,
                                          out["writer_cpu_us_per_command"])
    except Exception as exc:  # a broker or consumer that cannot run: say so, never fake it
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    n = len(commands)
    out["e2e_steady_per_s"] = out["steady_per_s"]
    out["e2e_sequential_per_s"] = round(n / (out["post_s"] + out["consume_steady_s"]))
    out["raw_e2e_per_s"] = round(n / (out["raw_produce_s"] + out["raw_consume_s"]))
    out["post_vs_raw_produce"] = ratio(out["raw_produce_s"], out["post_s"])
    out["consume_vs_raw_consume"] = ratio(out["raw_consume_s"], out["consume_steady_s"])
    out["e2e_vs_raw"] = ratio(out["e2e_sequential_per_s"], out["raw_e2e_per_s"])
    return out


def profiled_split(broker: Any, base: str, commands: list[Prepared], key: Path, batch: int,
                   work: Path, writer_us: float, workers: int | None = None) -> dict[str, Any]:
    """The same run once more with the consumer under cProfile: the writer's µs split."""
    from benchmarks.suite_profile import scaled, split, wall_split

    stats = work / "consumer.prof"
    run_once(broker, base, commands, key, batch, 1, work, workers=workers, profile=stats)
    seconds, wall = split(f"{stats}.0"), wall_split(f"{stats}.0")
    return {"us_per_command": scaled(seconds, writer_us),
            "profiled_us_per_command": {k: round(v / len(commands) * 1e6, 1)
                                        for k, v in seconds.items()},
            # where the writer's wall time went, waiting included (the profiled run's whole
            # life: start-up and the idle tail before --until-idle stops it count in poll)
            "wall_us_per_command": {k: round(v / len(commands) * 1e6, 1)
                                    for k, v in wall.items()}}


def _raw(producer_type: Any, read_topic: Any, bootstrap: str, topic: str,
         commands: list[Prepared]) -> dict[str, Any]:
    producer = producer_type(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                             linger_ms=5)
    try:
        started = time.perf_counter()
        for c in commands:
            producer.send(topic, key=c.key, value=c.value)
        producer.flush()
        produce_s = time.perf_counter() - started
    finally:
        producer.close()
    started = time.perf_counter()
    got = read_topic(bootstrap, topic, expect=len(commands))
    consume_s = time.perf_counter() - started
    if len(got) < len(commands):
        raise RuntimeError(f"the raw consumer read {len(got)} of {len(commands)} records")
    return {"raw_produce_s": round(produce_s, 3), "raw_consume_s": round(consume_s, 3),
            "raw_produce_per_s": round(len(commands) / produce_s),
            "raw_consume_per_s": round(len(commands) / consume_s)}


def in_process(lines: list[bytes], base: str, key: Path, batch: int) -> dict[str, Any]:
    """The same stream through ``MessageBus.execute``, no Kafka: rate and CPU per command."""
    from commands.bootstrap import bootstrap

    with pg_schema(base, "inproc") as url:
        services = bootstrap(load_settings(ledger_env(url, key)))
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            for i in range(0, len(lines), batch):
                services.bus.execute(lines[i:i + batch])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            services.close()
    return {"in_process_per_s": round(len(lines) / wall),
            "in_process_cpu_us_per_command": round(cpu / len(lines) * 1e6, 1)}


def main(argv: list[str] | None = None) -> int:
    from benchmarks.suite_ingest import command_lines
    from tests.kafka_broker import tansu

    parser = argparse.ArgumentParser(prog="python -m benchmarks.kafka_e2e",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--licences", type=int, default=3000)
    parser.add_argument("--batch-sizes", default="200,500")
    parser.add_argument("--consumers", default="1", help="consumer counts, e.g. 1,2")
    parser.add_argument("--partitions", type=int, default=PARTITIONS)
    parser.add_argument("--verify-workers", default="",
                        help="LEDGER_VERIFY_WORKERS values to compare, e.g. 0,1")
    parser.add_argument("--database", default=DEFAULT_PG, help="PostgreSQL URL (no schema)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--split", action="store_true",
                        help="also profile each run's writer: its µs split per command")
    args = parser.parse_args(argv)
    try:
        check_database(args.database)
    except ValueError as exc:  # say what to do, not a driver's traceback
        print(f"error: {exc}; start it with scripts/start-postgres.sh (which also creates"
              " the benchmarks' database) or give --database URL", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="kafka-e2e-"))
    key = work / "ledger-key.pem"
    save_signing_key(SigningKey.generate(), key)
    lines = command_lines(args.licences)
    commands = prepare(enumerate(lines, 1), Signer(None), "bench")
    print(f"{len(lines)} signed commands, {args.partitions} partitions; logs in {work}",
          file=sys.stderr)
    rows = []
    with tansu(work) as broker:
        for batch in [int(b) for b in args.batch_sizes.split(",")]:
            baseline = in_process(lines, args.database, key, batch)
            for consumers, workers in [(int(c), int(w) if w else None)
                                       for c in args.consumers.split(",")
                                       for w in args.verify_workers.split(",")]:
                row = {**run_once(broker, args.database, commands, key, batch, consumers,
                                  work, args.partitions, workers), **baseline}
                if args.split:
                    row["split"] = profiled_split(broker, args.database, commands, key, batch,
                                                  work, row["writer_cpu_us_per_command"],
                                                  workers)
                    print(f"  writer µs/command by stage: {row['split']['us_per_command']}",
                          file=sys.stderr)
                    print(f"  writer wall µs/command by stage (waiting included):"
                          f" {row['split']['wall_us_per_command']}", file=sys.stderr)
                rows.append(row)
                print(f"batch {batch:>4}, {consumers} consumer(s), verify workers"
                      f" {workers}: steady"
                      f" {row['steady_per_s']:6}/s, middle {row['middle_per_s']:6}/s (join"
                      f" {row['group_join_s']:.1f}s); CPU µs"
                      f"/command: consumers {row['consumer_cpu_us_per_command']} (writer"
                      f" {row['writer_cpu_us_per_command']}), PostgreSQL"
                      f" {row['postgres_cpu_us_per_command']}, broker"
                      f" {row['broker_cpu_us_per_command']}; in-process"
                      f" {row['in_process_per_s']}/s at"
                      f" {row['in_process_cpu_us_per_command']} µs; cores used"
                      f" {row['core_utilisation']}, load {row['load_average']}; by tenths"
                      f" {row['tenths_per_s']}",
                      file=sys.stderr)
    result = {"licences": args.licences, "partitions": args.partitions, "runs": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0
