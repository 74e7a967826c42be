"""Settings read at the edge (commands/settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.settings import load_settings
from ledger.errors import ConfigurationError
from ledger.store.event_store import redact


def test_default_settings_are_embedded_sqlite() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///.ledger/ledger.db"
    assert settings.database_is_default and not settings.is_postgres
    assert settings.key_file == Path(".ledger/ledger-key.pem")


def test_settings_never_show_the_password() -> None:
    settings = load_settings({"LEDGER_DATABASE_URL": "postgresql://u:s3cret@h:5432/db"})
    assert "s3cret" not in repr(settings)
    assert redact(settings.database_url) == "postgresql://u:***@h:5432/db"


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_bad_batch_size_is_explained(value: str) -> None:
    with pytest.raises(ConfigurationError, match="LEDGER_BATCH_SIZE"):
        load_settings({"LEDGER_BATCH_SIZE": value})
