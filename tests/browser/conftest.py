"""The browser tier: the pages served by a real uvicorn server, driven by Playwright in
Debian's chromium (Playwright's own browser download is not reachable here). A missing
chromium fails the tier with what to install; it is never skipped."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from commands.bootstrap import Services
from sharing.config import ServiceSettings
from tests.conftest import FakeClock
from tests.integration.service_server import Served, running_service
from tests.integration.test_files_pdf import FileCity, build_file_city

CHROMIUM = os.environ.get("LEDGER_CHROMIUM", "/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url  # pages read the same read models on both stores; one is enough here


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC) - timedelta(hours=1))  # the server runs on real time


@pytest.fixture
def city(services: Services, clock: FakeClock, tmp_path: Path) -> FileCity:
    return build_file_city(services, clock, tmp_path)


@pytest.fixture
def served(city: FileCity, database_url: str, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("LEDGER_KEYS_DIR", str(city.fs.keys_dir))
    settings = ServiceSettings(public_rate=50, public_burst=100)
    with running_service(database_url, tmp_path / "ledger-key.pem", settings) as server:
        monkeypatch.setenv("LEDGER_PUBLIC_URL", server.base_url)  # what rendered QR codes say
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), (
        f"chromium is not installed at {CHROMIUM}: run scripts/setup.sh as root (it runs"
        " apt-get install chromium), or set LEDGER_CHROMIUM to the browser's path")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Shots:
    """Screenshots of each page: under the test's tmp dir, and into docs/screenshots when
    LEDGER_SAVE_SCREENSHOTS=1 (the set committed for the docs)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, page: Page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000
        if os.environ.get("LEDGER_SAVE_SCREENSHOTS") == "1":
            shutil.copy(path, REPO / "docs" / "screenshots" / path.name)
        return path


@pytest.fixture
def shots(tmp_path: Path) -> Shots:
    return Shots(tmp_path / "screenshots")
