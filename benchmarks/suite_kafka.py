"""End to end through Kafka (Tansu, started here) beside raw kafka-python on the same bytes.

The ledger side is the real thing: ``ledger post`` (in-process, ``consumers.producer``)
puts the signed commands on a topic, then one ``ledger consume`` process applies them to
PostgreSQL; its progress is read from its tracking rows every 50 ms. The baseline sends
the same (key, value) records with a plain ``KafkaProducer`` (acks=all, idempotent) and
reads them back with a plain ``KafkaConsumer``. The sustained end-to-end rate is the
consumer's steady rate (first command applied to last): a producer posts far faster.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.suite_env import ledger_env, peak_rss_mb, pg_schema, ratio, wait_rss
from commands.settings import load_settings
from consumers.config import kafka_options
from consumers.producer import Prepared, Signer, post, prepare
from ledger.signing import SigningKey, save_signing_key

PARTITIONS = 3


def through_kafka(base: str, lines: list[bytes], batch: int, work: Path) -> dict[str, Any]:
    """Figures, or ``{"available": False, "reason": ...}`` when Kafka cannot be measured."""
    try:
        from kafka import KafkaProducer

        from benchmarks.kafka_e2e import applied
        from tests.kafka_broker import read_topic, tansu
    except ImportError as exc:
        return {"available": False, "reason": f"cannot import the Kafka tooling: {exc}"}
    commands = prepare(enumerate(lines, 1), Signer(None), "bench")
    key = work / "kafka-key.pem"
    save_signing_key(SigningKey.generate(), key)
    out: dict[str, Any] = {"available": True, "commands": len(commands), "batch": batch,
                           "partitions": PARTITIONS, "consumers": 1}
    try:
        with tansu(work) as broker, pg_schema(base, "kafka") as url:
            tag = uuid.uuid4().hex[:8]
            topic, raw_topic = f"bench-{tag}", f"bench-raw-{tag}"
            broker.create_topics({topic: PARTITIONS, f"{topic}.results": PARTITIONS,
                                  f"{topic}.dlq": 1, raw_topic: PARTITIONS})
            env = {**ledger_env(url, key), "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                   "LEDGER_CONSUMER_GROUP": f"g-{tag}", "LEDGER_COMMANDS_TOPIC": topic,
                   "LEDGER_RESULTS_TOPIC": f"{topic}.results", "LEDGER_DLQ_TOPIC":
                   f"{topic}.dlq", "LEDGER_BATCH_SIZE": str(batch),
                   "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000", "LEDGER_KAFKA_HEARTBEAT_MS": "1000"}
            out.update(_raw(KafkaProducer, read_topic, broker.bootstrap, raw_topic, commands))
            started = time.perf_counter()
            post(commands, kafka_options(load_settings(env), env), 15.0)
            out["post_s"] = round(time.perf_counter() - started, 3)
            schema = url.split("?schema=")[1]
            out.update(_consume(env, lambda: applied(base, schema, topic), len(commands), work))
    except Exception as exc:  # a broker or consumer that cannot run: say so, never fake it
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    n = len(commands)
    out["post_per_s"] = round(n / out["post_s"])
    out["e2e_steady_per_s"] = round(n / out["consume_steady_s"])
    out["e2e_sequential_per_s"] = round(n / (out["post_s"] + out["consume_steady_s"]))
    out["raw_e2e_per_s"] = round(n / (out["raw_produce_s"] + out["raw_consume_s"]))
    out["post_vs_raw_produce"] = ratio(out["raw_produce_s"], out["post_s"])
    out["consume_vs_raw_consume"] = ratio(out["raw_consume_s"], out["consume_steady_s"])
    out["e2e_vs_raw"] = ratio(out["e2e_sequential_per_s"], out["raw_e2e_per_s"])
    return out


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


def _consume(env: dict[str, str], applied: Any, total: int, work: Path) -> dict[str, Any]:
    log = work / "consumer.log"
    with open(log, "ab") as err:
        process = subprocess.Popen([sys.executable, "-m", "consumers", "consume",
                                    "--until-idle", "3"], env={**os.environ, **env},
                                   stdout=err, stderr=err)
    started = time.perf_counter()
    first: tuple[float, int] | None = None
    last, done = None, 0
    deadline = started + max(120.0, total / 200)
    peak = None
    while done < total and process.poll() is None and time.perf_counter() < deadline:
        peak = peak_rss_mb(process.pid) or peak
        done = applied()
        now = time.perf_counter()
        if done and first is None:
            first = (now, done)
        if done >= total:
            last = now
        time.sleep(0.05)
    rss = max(filter(None, (peak, wait_rss(process, 120))), default=None)
    if first is None or last is None:
        tail = log.read_text(errors="replace")[-600:]
        raise RuntimeError(f"the consumer applied {done} of {total} commands: {tail}")
    return {"consume_steady_s": round(max(last - first[0], 1e-3) * total / max(
                total - first[1], 1), 3),
            "consume_wall_s": round(last - started, 3), "group_join_s": round(
                first[0] - started, 3), "consumer_rss_mb": rss}
