"""Canonical encoding, instants, and settings read at the edge."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from commands.settings import load_settings
from ledger.errors import ConfigurationError
from ledger.integrity.canonical import canonical_bytes, format_instant, parse_date, parse_instant
from ledger.store.event_store import persistence_env, redact


def test_canonical_bytes_sort_keys_and_keep_utf8() -> None:
    assert canonical_bytes({"b": 1, "a": ["证照", None, True]}) == (
        '{"a":["证照",null,true],"b":1}'.encode()
    )


def test_instants_round_trip_and_are_utc() -> None:
    moment = parse_instant("2026-11-27T16:00:00+08:00")
    assert moment == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert format_instant(moment) == "2026-11-27T08:00:00.000000Z"


@pytest.mark.parametrize("text", ["2026-11-27", "2026-11-27T08:00:00", "yesterday", ""])
def test_bad_instants_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


@pytest.mark.parametrize("text", ["2026-02-30", "20261127", "2026-1-2", "27/11/2026"])
def test_bad_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_default_settings_are_embedded_sqlite() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///.ledger/ledger.db"
    assert settings.database_is_default and not settings.is_postgres
    assert settings.key_file == Path(".ledger/ledger-key.pem")


def test_settings_never_show_the_password() -> None:
    settings = load_settings({"LEDGER_DATABASE_URL": "postgresql://u:s3cret@h:5432/db"})
    assert "s3cret" not in repr(settings)
    assert redact(settings.database_url) == "postgresql://u:***@h:5432/db"


def test_postgres_url_becomes_eventsourcing_environment() -> None:
    env = persistence_env("postgresql://ledger:pw@db.local:6543/licences?schema=city")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.local", "6543", "licences")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_SCHEMA"]) == (
        "ledger", "pw", "city")


@pytest.mark.parametrize("url, fragment", [
    ("mysql://x/y", "unsupported scheme"),
    ("postgresql://host:5432/", "no database name"),
    ("sqlite://", "expected sqlite:///"),
])
def test_bad_database_urls_are_explained(url: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        persistence_env(url)


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_bad_batch_size_is_explained(value: str) -> None:
    with pytest.raises(ConfigurationError, match="LEDGER_BATCH_SIZE"):
        load_settings({"LEDGER_BATCH_SIZE": value})
