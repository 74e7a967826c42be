"""Kafka options read from the settings and environment (consumers/config.py)."""

from __future__ import annotations

import pytest

from commands.settings import load_settings
from consumers.config import kafka_options
from ledger.errors import ConfigurationError


# -- configuration ----------------------------------------------------------------------
def test_kafka_needs_bootstrap_servers() -> None:
    with pytest.raises(ConfigurationError, match="KAFKA_BOOTSTRAP_SERVERS"):
        kafka_options(load_settings({}))


def test_group_timeouts_come_from_the_environment() -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": "a:1, b:2", "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000",
           "LEDGER_KAFKA_HEARTBEAT_MS": "1000", "LEDGER_PARK_MAX_SECONDS": "5"}
    options = kafka_options(load_settings(env))
    assert options.servers == ["a:1", "b:2"]
    assert (options.session_timeout_ms, options.heartbeat_interval_ms) == (6000, 1000)
    assert options.park_max_seconds == 5.0
    assert options.with_overrides(group="g2", batch_size=None).group == "g2"


@pytest.mark.parametrize("name, value", [
    ("LEDGER_KAFKA_SESSION_TIMEOUT_MS", "soon"), ("LEDGER_KAFKA_POLL_MS", "0"),
    ("LEDGER_KAFKA_HEARTBEAT_MS", "9000"),
])
def test_bad_timeouts_are_configuration_errors(name: str, value: str) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": "a:1", name: value}
    with pytest.raises(ConfigurationError, match=name):
        kafka_options(load_settings(env))
