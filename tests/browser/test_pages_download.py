"""A holder downloads their own licence's file from the portal: the bytes are the
recorded file, the read is recorded and shows in the holder's history and the issuer's
usage view; forged forms, another holder's licence and a missing file are refused
plainly."""

from __future__ import annotations

import hashlib
from pathlib import Path
from uuid import UUID

from playwright.sync_api import Browser, BrowserContext, Locator, Page

from ledger.domain.identifiers import parse_licence_identifier
from ledger.domain.streams import licence_stream
from tests.browser.a11y import check_page
from tests.browser.conftest import Shots, reload_until
from tests.browser.test_pages_holder import log_in_as_holder
from tests.browser.test_pages_public import rendered
from tests.browser.test_pages_views import log_in, rows
from tests.integration.service_server import Served
from tests.integration.test_files_pdf import FileCity

BUTTON = "下载证照文件"


def recorded_hash(city: FileCity, identifier: str) -> str:
    """The SHA-256 the ledger recorded for the licence's latest original."""
    ident = parse_licence_identifier(identifier)
    stream = licence_stream(ident.type_code, ident.issuer_code, ident.serial)
    hashes = [str(r.data["file_hash"]) for r in city.services.store.read_stream(UUID(str(stream)))
              if r.type == "LicenceFileRecorded" and r.data["identifier"] == identifier]
    assert hashes, "no file was recorded"
    return hashes[-1]


def portal(browser: Browser, served: Served, city: FileCity, identifier: str,
           script: bool) -> tuple[BrowserContext, Page]:
    context = browser.new_context(java_script_enabled=script, accept_downloads=True)
    page = context.new_page()
    log_in_as_holder(page, served.base_url, city.scenario.holder_of(identifier))
    reload_until(page, lambda: identifier in page.locator("main").inner_text())
    return context, page


def card(page: Page, identifier: str) -> Locator:
    return page.locator("li.card", has_text=identifier)


def download_bytes(page: Page, identifier: str) -> tuple[bytes, str]:
    with page.expect_download() as info:
        card(page, identifier).get_by_role("button", name=BUTTON).click()
    download = info.value
    return Path(download.path()).read_bytes(), download.suggested_filename


def test_a_holder_downloads_their_licence_and_the_read_shows_everywhere(
        city: FileCity, served: Served, browser: Browser, shots: Shots) -> None:
    ident = city.identifier()
    rendered(city, ident)
    context, page = portal(browser, served, city, ident, script=True)
    check_page(page)
    data, name = download_bytes(page, ident)
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == recorded_hash(city, ident)
    assert name.endswith(".pdf")
    assert page.url.endswith("/holder")  # an attachment: the page stays where it was
    page.goto(f"{served.base_url}/holder")
    reload_until(page, lambda: "持证人下载" in page.locator("main").inner_text())
    [row] = [r for r in rows(page, "history") if "持证人下载" in r]
    assert "允许" in row and "持证人下载本人证照文件" in row
    check_page(page)
    shots.take(page, "holder-download")
    context.close()

    issuer = next(x["issuer"] for x in city.scenario.issued if x["identifier"] == ident)
    context = browser.new_context()
    page = context.new_page()
    log_in(page, served.base_url, "issuer", issuer.code)
    page.wait_for_url("**/issuer")
    reload_until(page, lambda: "持证人下载" in page.locator("main").inner_text())
    assert any("持证人下载" in r for r in rows(page, "usage"))
    context.close()


def test_downloads_work_without_javascript_and_each_is_recorded(
        city: FileCity, served: Served, browser: Browser) -> None:
    ident = city.identifier()
    original = rendered(city, ident)
    context, page = portal(browser, served, city, ident, script=False)
    first, _ = download_bytes(page, ident)
    second, _ = download_bytes(page, ident)  # a fresh single-use reference each time
    assert first == second == original
    page.goto(f"{served.base_url}/holder")
    reload_until(page, lambda: sum("持证人下载" in r for r in rows(page, "history")) == 2)
    context.close()


def test_a_forged_or_missing_csrf_token_is_refused(
        city: FileCity, served: Served, browser: Browser) -> None:
    ident = city.identifier()
    rendered(city, ident)
    context, page = portal(browser, served, city, ident, script=False)
    for form in ({"csrf": "forged", "identifier": ident}, {"identifier": ident}):
        response = context.request.post(f"{served.base_url}/holder/download", form=form)
        assert response.status == 403 and "CSRF" in response.text()
        assert "attachment" not in response.headers.get("content-disposition", "")
    page.goto(f"{served.base_url}/holder")
    assert "持证人下载" not in page.locator("main").inner_text()  # nothing was signed
    context.close()


def test_a_holder_cannot_download_another_holders_licence(
        city: FileCity, served: Served, browser: Browser) -> None:
    ident = city.identifier(0)
    other = next(city.identifier(i) for i in range(1, 8)
                 if city.scenario.holder_of(city.identifier(i)) != city.scenario.holder_of(ident))
    rendered(city, ident)
    rendered(city, other)
    context, page = portal(browser, served, city, ident, script=True)
    # Tamper the form's identifier in the page, then submit it as the button would.
    card(page, ident).locator("input[name=identifier]").evaluate(
        "(e, v) => { e.value = v; }", other)
    with page.expect_response("**/holder/download") as info:
        card(page, ident).get_by_role("button", name=BUTTON).click()
    response = info.value
    assert response.status == 403
    assert "content-disposition" not in response.headers
    assert "本人名下" in page.locator("main").inner_text()
    page.goto(f"{served.base_url}/holder")
    assert "持证人下载" not in page.locator("main").inner_text()
    context.close()


def test_a_licence_without_a_stored_file_says_so(
        city: FileCity, served: Served, browser: Browser) -> None:
    ident = city.identifier()
    context, page = portal(browser, served, city, ident, script=False)
    assert card(page, ident).get_by_role("button", name=BUTTON).count() == 0
    assert "尚未生成文件" in card(page, ident).inner_text()
    # A file recorded in the ledger but absent from this system's store: said plainly.
    rendered(city, ident)
    page.reload()
    reload_until(page, lambda: card(page, ident).get_by_role("button", name=BUTTON).count() == 1)
    for stored in city.fs.files_dir.glob(f"{recorded_hash(city, ident)}.*"):
        stored.unlink()
    card(page, ident).get_by_role("button", name=BUTTON).click()
    assert "文件未存放在本系统" in page.locator("main").inner_text()
    context.close()
