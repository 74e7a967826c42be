"""Fixtures shared by the unit tests that need a ledger (on SQLite, real clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from commands.bootstrap import Services, bootstrap
from commands.settings import load_settings


@pytest.fixture
def svc(sqlite_url: str, tmp_path: Path) -> Iterator[Services]:
    """A ledger in a temporary SQLite file, with its own key, composed as the CLI does."""
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": sqlite_url,
                                        "LEDGER_KEY_FILE": str(tmp_path / "ledger.pem")}))
    yield services
    services.close()
