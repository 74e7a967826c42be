"""The corrections queue (Art. 21) on the pages: a report made a month ago and still not
answered is flagged overdue in the issuer's queue, with its age, and listed for the
management department."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser

from tests.browser.a11y import check_page
from tests.browser.conftest import Shots, reload_until
from tests.browser.test_pages_views import log_in, rows
from tests.conftest import FakeClock
from tests.integration.service_server import Served
from tests.integration.test_files_pdf import FileCity


@pytest.fixture
def clock() -> FakeClock:
    """The city is made, and the report filed, 40 days ago (the server runs on real time)."""
    return FakeClock(datetime.now(UTC) - timedelta(days=40))


def test_an_overdue_correction_shows_in_the_issuers_queue_and_to_management(
        city: FileCity, served: Served, browser: Browser, shots: Shots) -> None:
    ident = city.identifier()
    issuer = next(x["issuer"] for x in city.scenario.issued if x["identifier"] == ident)
    parts = ident.split(".")
    city.sign(city.user, "ReportCorrection", {  # far past the five working days
        "correction_id": "X-OVERDUE-1", "kind": "error", "type_code": parts[5],
        "issuer_code": parts[6], "description": "名称有误（测试）", "identifier": ident})
    # A desktop width, so the screenshot shows the whole row (a phone scrolls the table).
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1024,
                                                                      "height": 800})
    page = context.new_page()
    log_in(page, served.base_url, "issuer", issuer.code)
    page.wait_for_url("**/issuer")
    reload_until(page, lambda: page.locator("#corrections").count() == 1)
    [row] = rows(page, "corrections")
    assert ident in row and "待处理" in row and "逾期" in row
    assert int(row.split("\t")[3]) >= 39  # its age in days
    assert page.locator("#overdue-count").inner_text() == "1"
    check_page(page)  # the 逾期 badge's contrast too
    shots.take(page, "issuer-corrections-overdue")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/portal")
    log_in(page, served.base_url, "management", city.scenario.city.management.code)
    page.wait_for_url("**/manage")
    [overdue] = rows(page, "overdue")
    assert ident in overdue and issuer.name in overdue  # the name, not the code
    check_page(page)
    context.close()
