"""The service's read models see every write it made: a checkpoint published by ``GET
/api/v1/checkpoint`` (two events, written outside any command batch) and the last batches
before a stop. Before, both waited for a next command's batch that might never come, and
``ledger show`` said "read models are 2 event(s) behind". Both writer modes, on the
embedded default (on PostgreSQL a ``ledger project --follow`` process keeps them)."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest

from commands.bootstrap import bootstrap
from commands.settings import load_settings
from sharing import writer as writer_module
from tests.integration.service_server import running_service
from tests.integration.use_town import Town


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def head_and_behind(database_url: str, key_file: Path) -> tuple[int, int]:
    """The ledger's last notification id, and how far the slowest read model lags it."""
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": database_url,
                                        "LEDGER_KEY_FILE": str(key_file),
                                        "LEDGER_INLINE_PROJECTIONS": "false"}))
    try:
        return services.store.max_notification_id(), services.projections.behind()
    finally:
        services.close()


@pytest.mark.parametrize("writer", ["process", "thread"])
def test_a_checkpoint_published_over_http_reaches_the_read_models(
        town: Town, database_url: str, tmp_path: Path, writer: str) -> None:
    key = tmp_path / "ledger-key.pem"
    with running_service(database_url, key, writer=writer) as served:
        head, _ = head_and_behind(database_url, key)
        answer = served.http.get("/api/v1/checkpoint")
        assert answer.status_code == 200, answer.text
        deadline = time.monotonic() + 10
        while True:
            now_head, behind = head_and_behind(database_url, key)
            if behind == 0:
                break
            assert time.monotonic() < deadline, f"read models stay {behind} event(s) behind"
            time.sleep(0.05)
        assert now_head > head  # the checkpoint was written: there was something to see


def test_the_read_models_catch_up_when_the_service_stops(
        town: Town, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With the writer in a thread; with a writer process the projector process keeps the
    read models, and its stop is tested in test_service_projector.py."""
    writer = "thread"
    # Neither idle long enough nor due under load while it runs: only the stop catches up.
    monkeypatch.setattr(writer_module, "IDLE_CATCH_UP", 600.0)
    monkeypatch.setattr(writer_module, "CATCH_UP_EVERY", 600.0)
    key = tmp_path / "ledger-key.pem"
    with running_service(database_url, key, writer=writer) as served:
        answer = served.http.post("/api/v1/commands", content=orjson.dumps(town.read(
            town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
            case="CASE-STOP-1")))
        assert answer.status_code == 200, answer.text
        assert head_and_behind(database_url, key)[1] > 0  # recorded, not yet projected
    assert head_and_behind(database_url, key)[1] == 0
