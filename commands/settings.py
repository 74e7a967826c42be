"""Configuration, read once at the edge into a frozen object. Secrets are never logged.

| variable                  | default                          | meaning                       |
|---------------------------|----------------------------------|-------------------------------|
| LEDGER_DATABASE_URL       | sqlite:///.ledger/ledger.db      | sqlite:///FILE or postgresql:// |
| LEDGER_KEY_FILE           | .ledger/ledger-key.pem           | the ledger's own signing key  |
| LEDGER_LANE               | local                            | seal lane of this writer      |
| LEDGER_BATCH_SIZE         | 500                              | commands per transaction      |
| LEDGER_CACHE_SIZE         | 50000                            | streams whose state is cached |
| LEDGER_INLINE_PROJECTIONS | yes on SQLite, no on PostgreSQL  | update read models in-process |
| LEDGER_MAX_RECORD_BYTES   | 1048576 (1 MiB)                  | largest command line/record   |
| LEDGER_BATCH_BYTES        | 16777216 (16 MiB)                | most command bytes in a batch |
| LEDGER_POISON_ATTEMPTS    | 3                                | tries of a record that fails  |
| KAFKA_BOOTSTRAP_SERVERS   | (unset: embedded mode)           | host:port[,host:port]         |
| LEDGER_CONSUMER_GROUP     | licence-ledger                   | Kafka consumer group id       |
| LEDGER_COMMANDS_TOPIC     | licence.commands                 |                               |
| LEDGER_RESULTS_TOPIC      | licence.results                  |                               |
| LEDGER_DLQ_TOPIC          | licence.commands.dlq             |                               |

LEDGER_BATCH_SIZE: a transaction's fixed costs (commit, prefetch query, seal, and for a
consumer one Kafka round) are shared by its commands; 500 applied ~1.6x the commands/s
of 200 through Kafka here (docs/benchmarks.md). A command waits for its whole batch.

LEDGER_CACHE_SIZE bounds a writer's memory: each cached stream state takes about 1-2 KB,
so the default keeps a consumer near 150 MB however long the history (docs/benchmarks.md).
A stream that is not cached costs one more row in its batch's single prefetch query.

LEDGER_MAX_RECORD_BYTES bounds what one line of ``ledger apply`` or one Kafka record may
hold; a longer one is answered ``invalid_command`` (and dead-lettered from Kafka) without
being parsed, and ``ledger apply`` reads at most that much of it into memory.

LEDGER_BATCH_BYTES cuts a batch early when its commands add up to that many bytes, so
a batch of maximal commands holds 16 MiB of JSON (some 100-200 MB decoded), not
LEDGER_BATCH_SIZE x 1 MiB; ordinary commands (1-2 KB) never reach it.

LEDGER_POISON_ATTEMPTS: a record whose handling raises something unexpected (not a
refusal, not a database outage) is tried alone this many times, counted in the
database so restarts do not reset the count, then answered ``internal_error`` and
dead-lettered so the records behind it go on (commands/bus/failures.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from commands.messages import limits
from ledger.errors import ConfigurationError
from ledger.store.application import DEFAULT_CACHE_SIZE
from ledger.store.event_store import redact

DEFAULT_HOME = Path(".ledger")
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_HOME / 'ledger.db'}"
DEFAULT_BATCH_SIZE = 500
DEFAULT_MAX_RECORD_BYTES = limits.MAX_RECORD_BYTES
DEFAULT_POISON_ATTEMPTS = 3
DEFAULT_BATCH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    database_url: str
    key_file: Path
    lane: str
    batch_size: int
    cache_size: int
    kafka_bootstrap_servers: str | None
    consumer_group: str
    commands_topic: str
    results_topic: str
    dlq_topic: str
    database_is_default: bool
    inline_projections: bool
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    poison_attempts: int = DEFAULT_POISON_ATTEMPTS
    batch_bytes: int = DEFAULT_BATCH_BYTES

    def __repr__(self) -> str:
        return f"Settings(database_url={redact(self.database_url)!r}, key_file={self.key_file})"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql:", "postgres:"))


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    url = env.get("LEDGER_DATABASE_URL", "").strip()
    return Settings(
        database_url=url or DEFAULT_DATABASE_URL,
        key_file=Path(env.get("LEDGER_KEY_FILE", "") or DEFAULT_HOME / "ledger-key.pem"),
        lane=env.get("LEDGER_LANE", "local") or "local",
        batch_size=env_count(env, "LEDGER_BATCH_SIZE", DEFAULT_BATCH_SIZE, minimum=1),
        cache_size=env_count(env, "LEDGER_CACHE_SIZE", DEFAULT_CACHE_SIZE, minimum=0),
        kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        consumer_group=env.get("LEDGER_CONSUMER_GROUP", "licence-ledger"),
        commands_topic=env.get("LEDGER_COMMANDS_TOPIC", "licence.commands"),
        results_topic=env.get("LEDGER_RESULTS_TOPIC", "licence.results"),
        dlq_topic=env.get("LEDGER_DLQ_TOPIC", "licence.commands.dlq"),
        database_is_default=not url,
        inline_projections=_flag(env.get("LEDGER_INLINE_PROJECTIONS"),
                                 default=not (url or "sqlite").startswith("postgres")),
        max_record_bytes=env_count(env, "LEDGER_MAX_RECORD_BYTES", DEFAULT_MAX_RECORD_BYTES,
                                   minimum=256),
        poison_attempts=env_count(env, "LEDGER_POISON_ATTEMPTS", DEFAULT_POISON_ATTEMPTS),
        batch_bytes=env_count(env, "LEDGER_BATCH_BYTES", DEFAULT_BATCH_BYTES, minimum=1024),
    )


def env_count(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    """A whole-number setting of at least ``minimum``; unset or empty: ``default``."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigurationError(
            f"{name}={text!r}: expected a whole number of at least {minimum}")
    return value


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("1", "y", "yes", "true", "on"):
        return True
    if value.lower() in ("0", "n", "no", "false", "off"):
        return False
    raise ConfigurationError(f"expected yes or no, got {value!r}")
