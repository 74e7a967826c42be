"""The browser tier: the pages served by a real uvicorn server, driven by Playwright in
Debian's chromium (Playwright's own browser download is not reachable here). A missing
chromium fails the tier with what to install; it is never skipped."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from commands.bootstrap import Services, bootstrap
from commands.setting_sections import Checked, PageSettings, ServiceSettings
from commands.settings import load_settings
from tests.conftest import FakeClock
from tests.integration.service_server import Served, running_service
from tests.integration.test_files_pdf import FileCity, build_file_city

CHROMIUM = os.environ.get("LEDGER_CHROMIUM", "/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC) - timedelta(hours=1))  # the server runs on real time


@pytest.fixture
def city(services: Services, clock: FakeClock, tmp_path: Path) -> FileCity:
    return build_file_city(services, clock, tmp_path)


@contextmanager
def projection_runner(database_url: str, key_file: Path) -> Iterator[None]:
    """On PostgreSQL read models are kept by a runner of their own (``ledger project``),
    as in production; on SQLite the service keeps them itself."""
    settings = load_settings({"LEDGER_DATABASE_URL": database_url,
                              "LEDGER_KEY_FILE": str(key_file)})
    if settings.inline_projections:
        yield
        return
    services = bootstrap(settings)
    services.projections.catch_up()  # the tables exist before the first page asks
    stop = threading.Event()
    thread = threading.Thread(target=services.projections.follow,
                              args=(stop.is_set, 0.05), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        services.close()


@pytest.fixture
def served(city: FileCity, database_url: str, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    settings = ServiceSettings(public_rate=50, public_burst=100, files_dir=str(city.fs.files_dir))
    pages = replace(PageSettings.fresh(), keys_dir=city.fs.keys_dir)
    key_file = tmp_path / "ledger-key.pem"
    with projection_runner(database_url, key_file), \
            running_service(database_url, key_file, settings, pages=pages) as server:
        # what rendered QR codes say (LEDGER_PUBLIC_URL)
        monkeypatch.setattr(city, "fs", replace(city.fs,
                                                checked_public_url=Checked(server.base_url)))
        yield server


def reload_until(page: Page, check: Callable[[], bool], timeout: float = 20) -> None:
    """Reload until ``check()`` holds: read models kept by a separate runner (PostgreSQL)
    show a change a moment after the ledger recorded it; on SQLite at once."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the page did not show the change in time"
        time.sleep(0.1)
        page.reload()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium per module. Not per session: Playwright's sync API runs an event loop
    in this thread while it is open, and later tiers call asyncio.run (pyhanko, the service
    tests), which cannot start inside a running loop."""
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
