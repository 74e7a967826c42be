"""The writer's state cache: bounded by LEDGER_CACHE_SIZE, never holding write-once
streams, and never changing an outcome (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from commands.bootstrap import Services, bootstrap
from commands.demo.scenario import Scenario
from commands.demo.use import use
from commands.settings import load_settings
from ledger.domain import streams
from ledger.errors import ConfigurationError
from tests.builders import SEED, scenario_clock
from tests.conftest import FakeClock


def open_services(database_url: str, tmp_path: Path, clock: FakeClock,
                  cache_size: str) -> Services:
    return bootstrap(load_settings({
        "LEDGER_DATABASE_URL": database_url, "LEDGER_CACHE_SIZE": cache_size,
        "LEDGER_KEY_FILE": str(tmp_path / "ledger-key.pem")}), clock=clock)


def city_commands(clock: FakeClock) -> list[dict[str, object]]:
    s = Scenario(SEED, scenario_clock(clock))
    return [*s.setup(), *s.issue(40), *s.lifecycle(clock.now.date()),
            *use(s, clock.now.date(), reads=30)]


@pytest.fixture
def small_cache(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    services = open_services(database_url, tmp_path, clock, "25")
    yield services
    services.close()


def test_the_cache_stays_within_its_size_and_holds_no_receipts_or_reads(
        small_cache: Services, clock: FakeClock) -> None:
    commands = city_commands(clock)
    for start in range(0, len(commands), 50):
        small_cache.bus.execute(commands[start:start + 50])
        cached = set(small_cache.ledger.cached_streams())
        assert len(cached) <= 25
    write_once = {streams.receipt_stream(str(c["command_id"])) for c in commands} | {
        streams.access_stream(str(c["command_id"])) for c in commands}
    assert cached and not cached & write_once


def test_outcomes_do_not_depend_on_the_cache(database_url: str, tmp_path: Path,
                                              clock: FakeClock) -> None:
    commands = city_commands(clock)
    answers = []
    for size in ("0", "100000"):
        url = database_url if size == "0" else f"sqlite:///{tmp_path / 'other.db'}"
        key_dir = tmp_path / size
        key_dir.mkdir()
        services = open_services(url, key_dir, FakeClock(clock.now), size)
        try:
            results = []
            for start in range(0, len(commands), 50):
                results += services.bus.execute(commands[start:start + 50])
        finally:
            services.close()
        answers.append([(r.command_id, r.accepted, r.code, r.events) for r in results])
    assert answers[0] == answers[1]
    assert any(not accepted for _, accepted, _, _ in answers[0])  # refusals were compared too


@pytest.mark.parametrize("value", ["-1", "lots", "1.5"])
def test_bad_cache_size_is_explained(value: str) -> None:
    with pytest.raises(ConfigurationError, match="LEDGER_CACHE_SIZE"):
        load_settings({"LEDGER_CACHE_SIZE": value})


def test_cache_size_zero_is_allowed() -> None:
    assert load_settings({"LEDGER_CACHE_SIZE": "0"}).cache_size == 0
    assert load_settings({}).cache_size > 0
