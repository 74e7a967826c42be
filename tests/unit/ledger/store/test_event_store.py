"""Database URLs become the event store's environment (ledger/store/event_store.py)."""

from __future__ import annotations

import pytest

from ledger.errors import ConfigurationError
from ledger.store.event_store import persistence_env


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
