"""End-to-end throughput: signed commands through Kafka into PostgreSQL (not a test).

    .venv/bin/python benchmarks/kafka_e2e.py [--licences N] [--batch-sizes 50,200,500]
        [--consumers C] [--partitions P] [--database URL] [--json FILE]

For each batch size: a fresh PostgreSQL schema and fresh topics on a Tansu broker
started here, ``ledger loadgen`` (set-up, N licences, their lifecycle), ``ledger post``,
then C ``ledger consume`` processes. It reports, from the consumers' tracking records
in the database (sampled every 50 ms):

* steady commands/s: from the first applied record to the last (group join excluded);
* wall commands/s: from starting the consumers to the last record applied;
* in-process commands/s: the same stream through ``MessageBus.execute`` in order with
  the same batch size and no Kafka at all, which bounds what the consumers can reach.

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
from pathlib import Path
from typing import Any

if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import psycopg
from psycopg import sql

from commands.bootstrap import bootstrap
from commands.settings import load_settings
from ledger.signing import SigningKey, save_signing_key
from tests.kafka_broker import PY, Broker, tansu

DEFAULT_PG = os.environ.get("LEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/ledger_test")


def fresh_schema(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return schema, f"{base}?schema={schema}"


def drop_schema(base: str, schema: str) -> None:
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def applied(base: str, schema: str, topic: str) -> int:
    with psycopg.connect(base) as conn:
        try:
            row = conn.execute(sql.SQL(
                "SELECT coalesce(sum(n + 1), 0) FROM (SELECT max(notification_id) AS n FROM"
                " {}.ledger_tracking WHERE application_name LIKE %s GROUP BY application_name)"
                " AS t").format(sql.Identifier(schema)), (f"{topic}:%",)).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def in_process(lines: list[bytes], base: str, key: Path, batch: int) -> float:
    schema, url = fresh_schema(base)
    try:
        services = bootstrap(load_settings({"LEDGER_DATABASE_URL": url,
                                            "LEDGER_KEY_FILE": str(key)}))
        started = time.perf_counter()
        for i in range(0, len(lines), batch):
            services.bus.execute(lines[i:i + batch])
        elapsed = time.perf_counter() - started
        services.close()
    finally:
        drop_schema(base, schema)
    return len(lines) / elapsed


def through_kafka(broker: Broker, lines_file: Path, total: int, base: str, key: Path,
                  batch: int, consumers: int, partitions: int, work: Path) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    topic = f"bench-{tag}"
    broker.create_topics({topic: partitions, f"{topic}.results": partitions,
                          f"{topic}.dlq": 1})
    schema, url = fresh_schema(base)
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_KEY_FILE": str(key),
           "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "LEDGER_CONSUMER_GROUP": f"g-{tag}",
           "LEDGER_COMMANDS_TOPIC": topic, "LEDGER_RESULTS_TOPIC": f"{topic}.results",
           "LEDGER_DLQ_TOPIC": f"{topic}.dlq", "LEDGER_BATCH_SIZE": str(batch),
           "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000", "LEDGER_KAFKA_HEARTBEAT_MS": "1000"}
    try:
        started = time.perf_counter()
        subprocess.run([*PY, "post", str(lines_file)], env=env, check=True,
                       capture_output=True)
        post_s = time.perf_counter() - started
        started = time.perf_counter()
        procs = []
        for i in range(consumers):
            with open(work / f"consumer-{tag}-{i}.log", "wb") as log:
                procs.append(subprocess.Popen([*PY, "consume", "--until-idle", "3"], env=env,
                                              stderr=log))
        first = last = None
        done = 0
        while done < total and all(p.poll() is None for p in procs):
            done = applied(base, schema, topic)
            now = time.perf_counter()
            if done and first is None:
                first = (now, done)
            if done >= total:
                last = now
            time.sleep(0.05)
        for p in procs:
            p.wait(timeout=120)
        if first is None or last is None:
            raise RuntimeError(f"only {done} of {total} commands were applied; see {work}")
        steady = (total - first[1]) / max(last - first[0], 1e-9)
        return {"post_per_s": total / post_s, "steady_per_s": steady,
                "wall_per_s": total / (last - started), "join_s": first[0] - started}
    finally:
        drop_schema(base, schema)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--licences", type=int, default=3000)
    parser.add_argument("--batch-sizes", default="50,200,500")
    parser.add_argument("--consumers", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--database", default=DEFAULT_PG, help="PostgreSQL URL (no schema)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kafka-e2e-"))
    key = work / "ledger-key.pem"
    save_signing_key(SigningKey.generate(), key)
    made = subprocess.run([*PY, "loadgen", "--licences", str(args.licences)], check=True,
                          capture_output=True)
    lines_file = work / "stream.jsonl"
    lines_file.write_bytes(made.stdout)
    lines = made.stdout.splitlines()
    print(f"{len(lines)} signed commands; {args.consumers} consumer(s), {args.partitions}"
          f" partitions; logs in {work}", file=sys.stderr)
    rows = []
    with tansu(work) as broker:
        for batch in [int(b) for b in args.batch_sizes.split(",")]:
            kafka = through_kafka(broker, lines_file, len(lines), args.database, key, batch,
                                  args.consumers, args.partitions, work)
            baseline = in_process(lines, args.database, key, batch)
            row = {"batch_size": batch, "commands": len(lines), **kafka,
                   "in_process_per_s": baseline}
            rows.append(row)
            print(f"batch {batch:>4}: steady {kafka['steady_per_s']:7.0f}/s  wall"
                  f" {kafka['wall_per_s']:7.0f}/s (join {kafka['join_s']:.1f}s)  post"
                  f" {kafka['post_per_s']:7.0f}/s  in-process {baseline:7.0f}/s", file=sys.stderr)
    result = {"licences": args.licences, "consumers": args.consumers,
              "partitions": args.partitions, "runs": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
