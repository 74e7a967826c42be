"""What a consumer or producer process knows about Kafka: the ledger's Kafka settings
(bootstrap servers, group, topics, batch limits) and the clients' section
(``settings.kafka``), both read once by :func:`commands.settings.load_settings`, then
the command-line flags given (:meth:`KafkaOptions.with_overrides`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from commands.settings import Settings
from ledger.errors import ConfigurationError


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


def kafka_options(settings: Settings) -> KafkaOptions:
    """Build the options; a missing KAFKA_BOOTSTRAP_SERVERS is a configuration error, and
    so is a bad value of the clients' section."""
    if not settings.kafka_bootstrap_servers:
        raise ConfigurationError(
            "KAFKA_BOOTSTRAP_SERVERS is not set: give the Kafka brokers as host:port[,host:port]"
            " (e.g. KAFKA_BOOTSTRAP_SERVERS=localhost:9092 with `docker compose up`)"
        )
    client = settings.kafka
    return KafkaOptions(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group=settings.consumer_group,
        commands_topic=settings.commands_topic,
        results_topic=settings.results_topic,
        dlq_topic=settings.dlq_topic,
        batch_size=settings.batch_size,
        session_timeout_ms=client.session_timeout_ms,
        heartbeat_interval_ms=client.heartbeat_interval_ms,
        poll_ms=client.poll_ms,
        park_max_seconds=client.park_max_seconds,
        park_check_ms=client.park_check_ms,
        max_record_bytes=settings.max_record_bytes,
        poison_attempts=settings.poison_attempts,
        batch_bytes=settings.batch_bytes,
        verify_workers=client.verify_workers,
    )
