"""Integration fixtures: one Tansu broker per test session, fresh topics per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from psycopg import sql

from commands.bootstrap import Services, bootstrap
from commands.settings import load_settings
from ledger.domain import streams
from ledger.domain.licence import apply_licence
from ledger.integrity.receipts import apply_receipt
from ledger.integrity.signing import SigningKey, save_signing_key
from tests.builders import Clock
from tests.conftest import fresh_schema
from tests.integration.read_city import Sent, build
from tests.integration.use_town import Town, build_town
from tests.kafka_broker import Broker, tansu


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    with tansu(tmp_path_factory.mktemp("tansu")) as broker:
        yield broker


@dataclass(frozen=True)
class KafkaTopics:
    bootstrap: str
    commands: str
    results: str
    dlq: str
    group: str

    def env(self, database_url: str, key_file: Path, **extra: str) -> dict[str, str]:
        """Environment for a consumer or producer process using these topics."""
        return {
            "LEDGER_DATABASE_URL": database_url, "LEDGER_KEY_FILE": str(key_file),
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "LEDGER_CONSUMER_GROUP": self.group,
            "LEDGER_COMMANDS_TOPIC": self.commands, "LEDGER_RESULTS_TOPIC": self.results,
            "LEDGER_DLQ_TOPIC": self.dlq,
            # Tansu joins a group in ~3 s with these, ~5-20 s with the defaults.
            "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000", "LEDGER_KAFKA_HEARTBEAT_MS": "1000",
            "LEDGER_KAFKA_POLL_MS": "200", "LEDGER_PARK_CHECK_MS": "200",
            **extra,
        }


def make_topics(broker: Broker, partitions: int) -> KafkaTopics:
    tag = uuid.uuid4().hex[:8]
    topics = KafkaTopics(broker.bootstrap, f"cmd-{tag}", f"res-{tag}", f"dlq-{tag}", f"g-{tag}")
    broker.create_topics({topics.commands: partitions, topics.results: 3, topics.dlq: 1})
    return topics


@pytest.fixture
def topics(kafka_broker: Broker) -> KafkaTopics:
    """Fresh topics (commands with 3 partitions) and a fresh group for one test."""
    return make_topics(kafka_broker, 3)


@pytest.fixture
def ledger_key(tmp_path: Path) -> Path:
    """The ledger's own key, made before consumers start (they share it)."""
    path = tmp_path / "ledger-key.pem"
    save_signing_key(SigningKey.generate(), path)
    return path


@dataclass(frozen=True)
class LedgerSnapshot:
    """What two ledgers built from the same commands must agree on."""

    accepted: frozenset[str]
    licences: dict[str, tuple[str, str]]  # licence stream -> (current identifier, status)
    events: dict[str, int]  # stored events per type, seals and ledger keys aside


def snapshot(database_url: str, key_file: Path, envelopes: list[dict[str, Any]]
             ) -> LedgerSnapshot:
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": database_url,
                                        "LEDGER_KEY_FILE": str(key_file)}))
    try:
        ledger = services.ledger
        accepted = frozenset(
            e["command_id"] for e in envelopes
            if ledger.get(streams.receipt_stream(e["command_id"]), apply_receipt) is not None)
        licences: dict[str, tuple[str, str]] = {}
        for e in envelopes:
            if e["type"] == "IssueLicence" and isinstance(e["payload"].get("serial"), str):
                p = e["payload"]
                stream = streams.licence_stream(p["type_code"], e["actor"], p["serial"])
                state = ledger.get(stream, apply_licence)
                if state is not None:
                    licences[str(stream)] = (state.identifier, state.status)
    finally:
        services.close()
    schema = parse_qs(urlsplit(database_url).query)["schema"][0]
    with psycopg.connect(database_url.split("?")[0]) as conn:
        rows = conn.execute(
            sql.SQL("SELECT topic, count(*) FROM {}.ledger_events WHERE topic NOT IN"
                    " ('BatchSealed', 'LedgerKeyRegistered') GROUP BY topic").format(
                        sql.Identifier(schema))).fetchall()
    return LedgerSnapshot(accepted, licences, {str(t): int(n) for t, n in rows})


def apply_in_process(database_url: str, key_file: Path, lines: list[bytes],
                     batch_size: int = 200) -> None:
    """What `ledger apply FILE` does: the commands in file order, in batches."""
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": database_url,
                                        "LEDGER_KEY_FILE": str(key_file)}))
    try:
        for i in range(0, len(lines), batch_size):
            services.bus.execute(lines[i:i + batch_size])
    finally:
        services.close()


@pytest.fixture
def second_pg_url(pg_database: str) -> Iterator[str]:
    """Another fresh schema, for a reference ledger built in-process."""
    with fresh_schema(pg_database) as url:
        yield url


@pytest.fixture
def town(services: Services, clock: Clock) -> Town:
    """The small city of the use-refusal tests (tests.integration.use_town)."""
    return build_town(services, clock)


@pytest.fixture
def sent(services: Services, clock: Clock) -> Sent:
    """The city of the read-model tests, built (tests.integration.read_city)."""
    return build(services, clock)


@pytest.fixture
def svc(sqlite_url: str, tmp_path: Path) -> Iterator[Services]:
    """A ledger in a temporary SQLite file, with its own key and the real clock, composed as
    the CLI does (the consumer tests moved here from tests/unit)."""
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": sqlite_url,
                                        "LEDGER_KEY_FILE": str(tmp_path / "ledger.pem")}))
    yield services
    services.close()
