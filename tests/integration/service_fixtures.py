"""Set-up the service tests share, in one place.

The server runs on the real clock, so what the tests sign is signed an hour before it
(``clock``); ``town`` (tests/integration/conftest.py) and ``city`` are built on that
clock, and ``api`` serves the town. A test module takes these fixtures by importing them
and naming them in ``__all__``. The Kafka-mode tests build the same on PostgreSQL, in the
ledger the consumer process will use (``kafka_town``, ``kafka_file_city``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from commands.bootstrap import Services, bootstrap
from commands.settings import load_settings
from tests.conftest import FakeClock
from tests.integration.service_server import running_service
from tests.integration.test_files_pdf import FileCity, build_file_city
from tests.integration.use_town import Town, build_town


def before_now() -> FakeClock:
    """A clock an hour behind the real one, which the server runs on."""
    return FakeClock(datetime.now(UTC) - timedelta(hours=1))


@pytest.fixture
def clock() -> FakeClock:
    # The server runs on the real clock: the town's commands are signed just before it.
    return before_now()


@pytest.fixture
def api(town: Town, database_url: str, tmp_path: Path) -> Iterator[httpx.Client]:
    """The service with default settings, serving ``town``."""
    with running_service(database_url, tmp_path / "ledger-key.pem") as served:
        yield served.http


@pytest.fixture
def city(services: Services, clock: FakeClock, tmp_path: Path) -> FileCity:
    return build_file_city(services, clock, tmp_path)


@contextmanager
def pg_services(pg_url: str, ledger_key: Path) -> Iterator[tuple[Services, FakeClock]]:
    """The ledger on PostgreSQL with the consumers' key, on a clock an hour behind."""
    clock = before_now()
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": pg_url,
                                        "LEDGER_KEY_FILE": str(ledger_key)}), clock=clock)
    try:
        yield services, clock
    finally:
        services.close()


@pytest.fixture
def kafka_town(pg_url: str, ledger_key: Path) -> Iterator[Town]:
    with pg_services(pg_url, ledger_key) as (services, clock):
        yield build_town(services, clock)


def kafka_file_city(pg_url: str, ledger_key: Path, tmp_path: Path) -> tuple[FileCity, bytes]:
    """The file city on PostgreSQL, and a rendered original of its licence; the ledger is
    closed again before the consumer and the service open it."""
    with pg_services(pg_url, ledger_key) as (services, clock):
        city = build_file_city(services, clock, tmp_path)
        return city, city.render(city.identifier())


def polled(http: httpx.Client, poll: str, timeout: float = 60) -> httpx.Response:
    """The answer behind a 202's poll URL, once it is no longer 202 (within ``timeout``)."""
    deadline = time.monotonic() + timeout
    while (answer := http.get(poll)).status_code == 202:
        assert time.monotonic() < deadline, "no result came"
        time.sleep(0.2)
    return answer
