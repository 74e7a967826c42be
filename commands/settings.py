"""Configuration: the environment is read once per process, by :func:`load_settings`,
into one frozen :class:`Settings`. Nothing else reads it: every module is handed its
section (``settings.files``, ``.kafka``, ``.service``, ``.pages``) as an argument by the
entry point or the composition root (commands/bootstrap.py). Secrets are never logged.

The ledger and its writers (the top level of :class:`Settings`):

| variable                  | default                          | meaning                       |
|---------------------------|----------------------------------|-------------------------------|
| LEDGER_DATABASE_URL       | sqlite:///.ledger/ledger.db      | sqlite:///FILE or postgresql:// |
| LEDGER_KEY_FILE           | .ledger/ledger-key.pem           | the ledger's own signing key  |
| LEDGER_LANE               | local                            | seal lane of this writer      |
| LEDGER_BATCH_SIZE         | 500                              | commands per transaction      |
| LEDGER_CACHE_SIZE         | 50000                            | streams whose state is cached |
| LEDGER_INSERT_CHUNK       | 100                              | records sent to PostgreSQL at |
|                           |                                  | a time while the rest are made|
|                           |                                  | (0: the batch, once made)     |
| LEDGER_INLINE_PROJECTIONS | yes on SQLite, no on PostgreSQL  | update read models in-process |
| LEDGER_MAX_RECORD_BYTES   | 1048576 (1 MiB)                  | largest command line/record   |
| LEDGER_BATCH_BYTES        | 16777216 (16 MiB)                | most command bytes in a batch |
| LEDGER_POISON_ATTEMPTS    | 3                                | tries of a record that fails  |
| KAFKA_BOOTSTRAP_SERVERS   | (unset: embedded mode)           | host:port[,host:port]         |
| LEDGER_CONSUMER_GROUP     | licence-ledger                   | Kafka consumer group id       |
| LEDGER_COMMANDS_TOPIC     | licence.commands                 |                               |
| LEDGER_RESULTS_TOPIC      | licence.results                  |                               |
| LEDGER_DLQ_TOPIC          | licence.commands.dlq             |                               |

The Kafka clients (``settings.kafka``, turned into consumers.config.KafkaOptions):

| variable                        | default | meaning                                        |
|---------------------------------|---------|------------------------------------------------|
| LEDGER_KAFKA_SESSION_TIMEOUT_MS | 10000   | consumer group session timeout                 |
| LEDGER_KAFKA_HEARTBEAT_MS       | 3000    | consumer group heartbeat interval (at most a   |
|                                 |         | third of the session timeout)                  |
| LEDGER_KAFKA_POLL_MS            | 500     | longest wait for records in one poll           |
| LEDGER_PARK_MAX_SECONDS         | 60      | longest a command waits for what it depends on |
| LEDGER_PARK_CHECK_MS            | 500     | how often a parked partition is looked at      |
| LEDGER_VERIFY_WORKERS           | 1       | processes decoding and verifying signatures    |
|                                 |         | ahead of the writer (0: in the writer itself)  |

Licence files (``settings.files``, for licence_files):

| variable         | default                                        | meaning              |
|------------------|------------------------------------------------|----------------------|
| LEDGER_KEYS_DIR  | .ledger/keys                                   | departments' keys    |
| LEDGER_FILES_DIR | .ledger/files                                  | store of signed files|
| LEDGER_FONT_FILE | /usr/share/fonts/truetype/wqy/wqy-microhei.ttc | face font (TTF, TTC) |
| LEDGER_ACTOR     | (unset)                                        | acting department    |
| LEDGER_PUBLIC_URL| http://127.0.0.1:8080                          | base URL new files'  |
|                  |                                                | QR codes point at    |

In ``LEDGER_KEYS_DIR`` each department ``<USCC>`` has ``<USCC>.pem`` (its Ed25519
command key, as ``ledger sign --keys`` reads it) and, to sign files,
``<USCC>.file-key.pem`` (ECDSA P-256 private key), ``<USCC>.file-cert.pem`` (its
certificate, then the chain up to the root) and ``<USCC>.file-crl.pem`` (the CA's
current CRLs). QR codes encode ``{LEDGER_PUBLIC_URL}/v/{reference}`` (an http or https
URL with no query or fragment; a trailing slash is dropped).

The sharing service (``settings.service``; it also takes LEDGER_PUBLIC_URL, LEDGER_BATCH_SIZE
as the most commands its writer gathers, and LEDGER_FILES_DIR as the store downloads open):

| variable                   | default                | meaning                               |
|----------------------------|------------------------|---------------------------------------|
| LEDGER_MAX_BODY            | 1048576                | bytes of a command (the wire bound)   |
| LEDGER_MAX_FILE            | 16777216               | bytes of a file posted to verify-file |
| LEDGER_GROUP_COMMIT_MS     | 2                      | longest a batch waits for commands    |
| LEDGER_PUBLIC_RATE         | 5                      | public requests per second per client |
| LEDGER_PUBLIC_BURST        | 20                     | public requests a client may burst    |
| LEDGER_REQUEST_TIMEOUT     | 30                     | seconds a request waits for the ledger|
| LEDGER_BODY_TIMEOUT        | 20                     | seconds each part of a body may take  |
| LEDGER_KAFKA_WAIT_MS       | 5000                   | with Kafka: wait for a result, then 202 |
| LEDGER_DOWNLOAD_TTL        | 300                    | seconds a download reference is valid |

Its pages (``settings.pages``; with LEDGER_KEYS_DIR, where the platform's command key is,
and LEDGER_FONT_FILE, the CJK font served to browsers):

| variable                | default                 | meaning                                    |
|-------------------------|-------------------------|--------------------------------------------|
| LEDGER_SESSION_SECRET   | random at each start    | key that signs session cookies (≥ 32 chars) |
| LEDGER_COOKIE_SECURE    | 0                       | 1: cookies only over HTTPS (behind TLS)    |
| LEDGER_PAGES_DEMO_LOGIN | 1                       | 0: no stand-in logins (production)         |

Every value is parsed and checked when the settings are loaded. A bad value of the top
level stops every command at once; one of a section (or LEDGER_PUBLIC_URL) is reported,
with the same message, when that section is first used: ``ledger apply`` does not fail
because a variable only ``ledger serve`` reads is wrong.

LEDGER_BATCH_SIZE: a transaction's fixed costs (commit, prefetch query, seal, and for a
consumer one Kafka round) are shared by its commands; 500 applied ~1.6x the commands/s
of 200 through Kafka here (docs/benchmarks.md). A command waits for its whole batch.

LEDGER_CACHE_SIZE bounds a writer's memory: each cached stream state takes about 1-2 KB,
so the default keeps a consumer near 150 MB however long the history (docs/benchmarks.md).
A stream that is not cached costs one more row in its batch's single prefetch query.

LEDGER_INSERT_CHUNK (PostgreSQL): a batch's records go to the server that many at a time,
each as soon as it is hashed and chained, so the server inserts one chunk while the writer
makes the next: one writer commits ~10 % more commands a second. The table lock that
orders the log is then held while the later chunks are made (~29 ms a batch of 500
commands against ~20): with several writers against one PostgreSQL, where that lock bounds
them all, 0 (the whole batch, once made) is the better choice (docs/scaling.md).

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

LEDGER_VERIFY_WORKERS: one worker, on 2 cores, took the writer from ~400 to ~240-290 µs
of CPU a command and raised the end-to-end rate by 3-40 % on a machine shared with other
work (docs/benchmarks.md, "Both cores"); 0 keeps everything in the writer's process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from commands.messages import limits
from commands.setting_sections import (
    Checked,
    FileSettings,
    KafkaClientSettings,
    PageSettings,
    ServiceSettings,
    check,
    env_count,
    load_files,
    load_kafka,
    load_pages,
    load_public_url,
    load_service,
)
from ledger.errors import ConfigurationError
from ledger.store.application import DEFAULT_CACHE_SIZE, DEFAULT_INSERT_CHUNK
from ledger.store.event_store import redact
from ledger.store.read_database import read_models_url

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
    insert_chunk: int
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
    files: FileSettings = field(default_factory=FileSettings)
    # Sections whose values may be wrong: checked at load, reported when used (see above).
    checked_kafka: Checked[KafkaClientSettings] = field(
        default_factory=lambda: Checked(KafkaClientSettings()))
    checked_service: Checked[ServiceSettings] = field(
        default_factory=lambda: Checked(ServiceSettings()))
    checked_pages: Checked[PageSettings] = field(
        default_factory=lambda: Checked(PageSettings.fresh()))

    def __repr__(self) -> str:
        return f"Settings(database_url={redact(self.database_url)!r}, key_file={self.key_file})"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql:", "postgres:"))

    @property
    def read_models_url(self) -> str:
        """The read models' database: on SQLite a file of their own beside the ledger's."""
        return read_models_url(self.database_url)

    @property
    def kafka(self) -> KafkaClientSettings:
        """The Kafka clients' section; raises its ConfigurationError if a value is bad."""
        return self.checked_kafka.get()

    @property
    def service(self) -> ServiceSettings:
        """The sharing service's section; raises its ConfigurationError if a value is bad."""
        return self.checked_service.get()

    @property
    def pages(self) -> PageSettings:
        """The pages' section; raises its ConfigurationError (PageSettingsError) if bad."""
        return self.checked_pages.get()


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment (or ``env``) once, every variable of every section."""
    env = os.environ if env is None else env
    url = env.get("LEDGER_DATABASE_URL", "").strip()
    batch_size = env_count(env, "LEDGER_BATCH_SIZE", DEFAULT_BATCH_SIZE, minimum=1)
    public_url = check(lambda: load_public_url(env))
    files = load_files(env, public_url)
    return Settings(
        database_url=url or DEFAULT_DATABASE_URL,
        key_file=Path(env.get("LEDGER_KEY_FILE", "") or DEFAULT_HOME / "ledger-key.pem"),
        lane=env.get("LEDGER_LANE", "local") or "local",
        batch_size=batch_size,
        cache_size=env_count(env, "LEDGER_CACHE_SIZE", DEFAULT_CACHE_SIZE, minimum=0),
        insert_chunk=env_count(env, "LEDGER_INSERT_CHUNK", DEFAULT_INSERT_CHUNK, minimum=0),
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
        files=files,
        checked_kafka=check(lambda: load_kafka(env)),
        checked_service=check(lambda: load_service(env, public_url, batch_size, files)),
        checked_pages=check(lambda: load_pages(env, files, embedded=not (
            url or "sqlite").startswith("postgres"))),
    )


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("1", "y", "yes", "true", "on"):
        return True
    if value.lower() in ("0", "n", "no", "false", "off"):
        return False
    raise ConfigurationError(f"expected yes or no, got {value!r}")
