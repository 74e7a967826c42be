"""``ledger post``: put JSON-lines commands on the commands topic, in file order.

Each record's key is the aggregate its command targets (``partition_key``), so one
licence's commands stay ordered in one partition. Records carry strictly increasing
timestamps: the consumers' parking rule uses them to know what was posted before
what across partitions (docs/kafka.md). The producer is idempotent (acks=all), so a
retried send neither duplicates nor reorders records; posting the same file twice
posts the commands twice, and the ledger answers the repeats with their original
results (command ids are deduplicated).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from commands.signed.envelope import decode_envelope, sign_envelope
from consumers.config import KafkaOptions
from consumers.kafka_io import connect, make_producer
from ledger.errors import ConfigurationError, LedgerError
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey, load_signing_key


class InputError(Exception):
    """A line of the input cannot be posted (says which and why)."""


@dataclass(frozen=True)
class Prepared:
    line: int
    command_id: str
    key: bytes
    value: bytes
    signed_here: bool


@dataclass
class PostSummary:
    posted: int = 0
    signed_here: int = 0
    partitions: Counter[int] = field(default_factory=Counter)
    command_ids: list[str] = field(default_factory=list)


def partition_key(envelope: dict[str, Any]) -> bytes:
    """The aggregate the command targets; an undecodable command is keyed by its id."""
    try:
        return decode_envelope(envelope).partition_key().encode()
    except LedgerError:
        return f"command:{envelope.get('command_id')}".encode()


class Signer:
    """Signs unsigned lines with ``<actor USCC>.pem`` from a directory of keys."""

    def __init__(self, keys_dir: Path | None) -> None:
        self.keys_dir = keys_dir
        self._keys: dict[str, SigningKey] = {}

    def sign(self, item: dict[str, Any], where: str) -> dict[str, Any]:
        if self.keys_dir is None:
            raise InputError(f"{where}: the command is not signed; give --keys DIR holding"
                             " <actor USCC>.pem to sign it here, or sign it with `ledger sign`")
        actor, kind, payload = item.get("actor"), item.get("type"), item.get("payload")
        if not isinstance(actor, str) or not isinstance(kind, str) or payload is None:
            raise InputError(f"{where}: an unsigned command needs 'actor', 'type' and 'payload'")
        if actor not in self._keys:
            path = self.keys_dir / f"{actor}.pem"
            if not path.exists():
                raise InputError(f"{where}: no key for actor {actor}: {path} does not exist")
            self._keys[actor] = load_signing_key(path)
        return sign_envelope(
            self._keys[actor], command_type=kind, actor=actor, payload=payload,
            issued_at=item.get("issued_at") or format_instant(datetime.now(UTC)),
            command_id=item.get("command_id") or str(uuid.uuid4()),
        )


def prepare(lines: Iterable[tuple[int, bytes]], signer: Signer, source: str) -> list[Prepared]:
    """Check and sign every line before anything is posted (all or nothing)."""
    prepared = []
    for n, raw in lines:
        where = f"{source}:{n}"
        try:
            item = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc})") from None
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected a JSON object (one command per line)")
        signed_here = "signature" not in item
        if signed_here:
            item = signer.sign(item, where)
        value = orjson.dumps(item) if signed_here else raw.strip()
        prepared.append(Prepared(n, str(item.get("command_id", "-")), partition_key(item),
                                 value, signed_here))
    return prepared


def read_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their numbers; ``-`` is standard input."""
    import sys

    try:
        handle = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    try:
        for n, line in enumerate(handle, 1):
            if line.strip():
                yield n, line
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def post(commands: list[Prepared], options: KafkaOptions, connect_timeout: float) -> PostSummary:
    """Send in order with strictly increasing timestamps; wait until all are acknowledged."""
    producer = connect(lambda: make_producer(options, "post"), options, "posting",
                       connect_timeout)
    summary = PostSummary()
    last = 0
    try:
        futures = []
        for c in commands:
            last = max(int(time.time() * 1000), last + 1)
            futures.append(producer.send(options.commands_topic, key=c.key, value=c.value,
                                         timestamp_ms=last))
        producer.flush(timeout=max(connect_timeout, 30))
        failed = [c for c, f in zip(commands, futures, strict=True) if not f.is_done or f.failed()]
        if failed:
            # A resend could land after records posted later and break the timestamp
            # order, so failures are reported rather than retried here.
            raise ConfigurationError(
                f"{len(failed)} of {len(commands)} commands were not acknowledged by Kafka at"
                f" {options.bootstrap_servers} (first: line {failed[0].line}); posting again is"
                " safe: the ledger answers repeated command ids with their original results"
            )
        for c, f in zip(commands, futures, strict=True):
            summary.partitions[f.value.partition] += 1
            summary.command_ids.append(c.command_id)
        summary.posted = len(commands)
        summary.signed_here = sum(c.signed_here for c in commands)
    finally:
        producer.close()
    return summary

