"""What a citizen sees: scan a rendered licence's QR code, open the URL, read the status;
with JavaScript off, on a phone-sized screen."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser

from sharing.pages.words import beijing
from tests.browser.a11y import check_page
from tests.browser.conftest import Shots
from tests.integration.service_server import Served
from tests.integration.test_files_pdf import FileCity

PHONE = {"width": 390, "height": 844}


def rendered(city: FileCity, identifier: str) -> bytes:
    """Render in a thread of its own: pyhanko runs its own asyncio loop, which cannot start
    in the thread where Playwright's loop runs."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(city.render, identifier).result()


def qr_text(pdf: bytes, folder: Path) -> str:
    """Decode the QR code printed on the PDF's first page (rasterised by poppler)."""
    (folder / "licence.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1",
                    str(folder / "licence.pdf"), str(folder / "page")], check=True)
    [png] = sorted(folder.glob("page*.png"))
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(png))
             if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(found) == 1, found
    return found[0]


def test_a_scanned_qr_code_opens_the_live_status_without_javascript(
        city: FileCity, served: Served, browser: Browser, shots: Shots,
        tmp_path: Path) -> None:
    url = qr_text(rendered(city, city.identifier()), tmp_path)
    assert url.startswith(served.base_url + "/v/")
    assert served.http.get("/api/v1/checkpoint").status_code == 200  # publish one
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert page.locator("#status").inner_text() == "有效"
    text = page.locator("main").inner_text()
    assert "截图" in text and "不能作为有效证明" in text  # Art. 20
    assert "状态最近变更" in text and "签名检查点" in text
    checkpoint = page.locator("#checkpoint").inner_text()
    assert "签名检查点：共" in checkpoint and "已包含在此检查点中" in checkpoint
    assert "名称" in text and "company_name" not in text  # the face's labels, not keys
    assert page.context.cookies() == []  # the public page sets no cookie
    check_page(page)
    shots.take(page, "status-valid")

    for unknown in ("0" * 32, "not-a-reference"):
        response = page.goto(f"{served.base_url}/v/{unknown}")
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "未找到"
        assert unknown not in page.content()
        check_page(page)
    shots.take(page, "status-unknown")
    context.close()


def test_the_status_page_says_when_a_licence_was_revoked_and_passes_basic_checks(
        city: FileCity, served: Served, browser: Browser, shots: Shots,
        tmp_path: Path) -> None:
    ident = city.identifier(1)
    url = qr_text(rendered(city, ident), tmp_path)
    issuer = next(x["issuer"] for x in city.scenario.issued if x["identifier"] == ident)
    status_json = f"/api/v1/public/status/{url.rsplit('/', 1)[1]}"
    issued_at = served.http.get(status_json).json()["changed_at"]
    revoked = served.http.post("/api/v1/commands", content=orjson.dumps(city.scenario.sign(
        issuer, "RevokeLicence", {"identifier": ident, "reason": "吊销（测试）"})))
    assert revoked.status_code == 200, revoked.text
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(url)
    assert page.locator("#status").inner_text() == "已撤销"
    changed_at = served.http.get(status_json).json()["changed_at"]
    assert changed_at > issued_at  # the revocation is the latest change of the licence
    assert beijing(changed_at) in page.locator(".facts").inner_text()
    check_page(page)
    shots.take(page, "status-revoked")
    context.close()


def test_a_licence_of_a_type_not_disclosed_shows_no_number_and_no_face(
        city: FileCity, served: Served, browser: Browser, tmp_path: Path) -> None:
    types = city.scenario.city.types
    hidden = next(x for x in city.scenario.issued
                  if types[x["type_code"]].get("disclosure") != "public")
    url = qr_text(rendered(city, hidden["identifier"]), tmp_path)
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(url)
    assert page.locator("#status").inner_text() == "有效"
    text = page.locator("main").inner_text()
    assert "证照编号" not in text and "（20" not in text  # no licence number like 医师（2020）…
    assert hidden["holder"] not in page.content()
    facts = page.locator(".facts dt")
    assert [facts.nth(i).inner_text() for i in range(facts.count())] == [
        "证照类型", "发证机关", "有效期起", "有效期至", "状态最近变更", "查询时间"]
    context.close()
