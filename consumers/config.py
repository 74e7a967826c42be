"""Kafka client options, read once at the edge (environment, then command-line flags).

| variable                        | default | meaning                                        |
|---------------------------------|---------|------------------------------------------------|
| LEDGER_KAFKA_SESSION_TIMEOUT_MS | 10000   | consumer group session timeout                 |
| LEDGER_KAFKA_HEARTBEAT_MS       | 3000    | consumer group heartbeat interval              |
| LEDGER_KAFKA_POLL_MS            | 500     | longest wait for records in one poll           |
| LEDGER_PARK_MAX_SECONDS         | 60      | longest a command waits for what it depends on |
| LEDGER_PARK_CHECK_MS            | 500     | how often a parked partition is looked at      |
| LEDGER_VERIFY_WORKERS           | 1       | processes decoding and verifying signatures    |
|                                 |         | ahead of the writer (0: in the writer itself)  |

Everything else (bootstrap servers, group, topics, batch size, the record size limit
LEDGER_MAX_RECORD_BYTES, LEDGER_BATCH_BYTES and LEDGER_POISON_ATTEMPTS) is in
:class:`commands.settings.Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from commands.settings import Settings, env_count
from ledger.errors import ConfigurationError

# One worker: on 2 cores it took the writer from ~400 to ~240-290 µs of CPU a command and,
# in the final design, raised the end-to-end rate by 3-40 % on a machine shared with other
# work (docs/benchmarks.md, "Both cores"); 0 keeps everything in the writer's process.
DEFAULT_VERIFY_WORKERS = 1


@dataclass(frozen=True)
class KafkaOptions:
    """What a consumer or producer process needs to know about Kafka."""

    bootstrap_servers: str
    group: str
    commands_topic: str
    results_topic: str
    dlq_topic: str
    batch_size: int
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    poll_ms: int = 500
    park_max_seconds: float = 60.0
    park_check_ms: int = 500
    max_record_bytes: int = 1024 * 1024
    poison_attempts: int = 3
    batch_bytes: int = 16 * 1024 * 1024
    verify_workers: int = 0

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]

    def with_overrides(self, **changes: object) -> KafkaOptions:
        """A copy with the given fields replaced (flags given on the command line)."""
        given = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **given)  # type: ignore[arg-type]




def kafka_options(settings: Settings, env: Mapping[str, str] | None = None) -> KafkaOptions:
    """Build the options; a missing KAFKA_BOOTSTRAP_SERVERS is a configuration error."""
    env = os.environ if env is None else env
    if not settings.kafka_bootstrap_servers:
        raise ConfigurationError(
            "KAFKA_BOOTSTRAP_SERVERS is not set: give the Kafka brokers as host:port[,host:port]"
            " (e.g. KAFKA_BOOTSTRAP_SERVERS=localhost:9092 with `docker compose up`)"
        )
    session = env_count(env, "LEDGER_KAFKA_SESSION_TIMEOUT_MS", 10_000)
    heartbeat = env_count(env, "LEDGER_KAFKA_HEARTBEAT_MS", min(3_000, session // 3))
    if heartbeat * 3 > session:
        raise ConfigurationError(
            f"LEDGER_KAFKA_HEARTBEAT_MS={heartbeat} must be at most a third of"
            f" LEDGER_KAFKA_SESSION_TIMEOUT_MS={session}"
        )
    return KafkaOptions(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group=settings.consumer_group,
        commands_topic=settings.commands_topic,
        results_topic=settings.results_topic,
        dlq_topic=settings.dlq_topic,
        batch_size=settings.batch_size,
        session_timeout_ms=session,
        heartbeat_interval_ms=heartbeat,
        poll_ms=env_count(env, "LEDGER_KAFKA_POLL_MS", 500),
        park_max_seconds=float(env_count(env, "LEDGER_PARK_MAX_SECONDS", 60, minimum=0)),
        park_check_ms=env_count(env, "LEDGER_PARK_CHECK_MS", 500),
        max_record_bytes=settings.max_record_bytes,
        poison_attempts=settings.poison_attempts,
        batch_bytes=settings.batch_bytes,
        verify_workers=env_count(env, "LEDGER_VERIFY_WORKERS", DEFAULT_VERIFY_WORKERS,
                                 minimum=0),
    )
