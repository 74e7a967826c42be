"""The issuer filters who used its licences (JavaScript off: forms still work); the
management department sees its charts, the reconciliation and the checkpoint, and runs an
audit from the page."""

from __future__ import annotations

import time
from typing import Any

import orjson
from playwright.sync_api import Browser, Page

from ledger.domain.localtime import beijing_period
from projections.models.use_queries import get_stats
from tests.browser.a11y import check_page
from tests.browser.conftest import Shots, reload_until
from tests.builders import RawEvents, flip
from tests.integration.service_server import Served
from tests.integration.test_files_pdf import FileCity


def post(served: Served, envelope: dict[str, Any]) -> int:
    return served.http.post("/api/v1/commands", content=orjson.dumps(envelope)).status_code


def reads(city: FileCity, served: Served, identifier: str) -> None:
    """Two allowed reads in MATTER-001, one refused in another matter, one by a stranger."""
    s, user, stranger = city.scenario, city.user, city.scenario.using_departments[1]
    for case, matter, dept, status in (("CASE-I-1", "MATTER-001", user, 200),
                                       ("CASE-I-2", "MATTER-001", user, 200),
                                       ("CASE-I-3", "MATTER-002", user, 403),
                                       ("CASE-I-4", "MATTER-001", stranger, 403)):
        assert post(served, s.sign(dept, "VerifyLicence", {
            "identifier": identifier, "mode": "function", "grant_id": city.grant_id,
            "matter_code": matter, "case_number": case, "operator": "officer-1",
            "purpose": "办理业务"})) == status, case


def log_in(page: Page, base_url: str, role: str, code: str) -> None:
    page.goto(f"{base_url}/portal")
    page.locator(f"#{role}-code").select_option(code)
    page.locator(f"form:has(#{role}-code) button").click()


def rows(page: Page, table: str) -> list[str]:
    found = page.locator(f"#{table} tbody tr")
    return [found.nth(i).inner_text() for i in range(found.count())]


def test_an_issuer_filters_who_used_its_licences_without_javascript(
        city: FileCity, served: Served, browser: Browser, shots: Shots) -> None:
    ident = city.identifier()
    issuer = next(x["issuer"] for x in city.scenario.issued if x["identifier"] == ident)
    reads(city, served, ident)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, served.base_url, "issuer", issuer.code)
    page.wait_for_url("**/issuer")
    assert page.locator("h1").inner_text() == issuer.name
    reload_until(page, lambda: len([r for r in rows(page, "usage") if "CASE-I-" in r]) == 4)
    page.locator("#f-user").select_option(city.user.code)
    page.locator("#f-matter").fill("MATTER-001")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/issuer?*matter=MATTER-001*")
    filtered = rows(page, "usage")
    assert len(filtered) == 2 and all("MATTER-001" in r and "允许" in r for r in filtered)
    assert {r.split("\t")[4].split(" / ")[1] for r in filtered} == {"CASE-I-1", "CASE-I-2"}
    assert "共 2 条" in page.locator("#usage-count").inner_text()
    check_page(page)
    shots.take(page, "issuer-usage-filtered")
    page.locator("#f-since").fill("2000-01-01")
    page.locator("#f-until").fill("2000-12-31")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**until=2000-12-31*")
    assert rows(page, "usage") == [] and "共 0 条" in page.locator("#usage-count").inner_text()

    page.goto(f"{served.base_url}/issuer?matter=MATTER-002")
    [refused] = rows(page, "usage")
    assert "拒绝" in refused and "not_in_usage_list" in refused
    page.goto(f"{served.base_url}/manage")  # an issuer is not the management department
    assert page.url.endswith("/portal")
    context.close()


def report_counts(city: FileCity, served: Served, identifier: str) -> None:
    """Paper counts for every issuer row (one short by two) and a case count for the user."""
    city.services.projections.catch_up()
    issued = [r for r in get_stats(city.services.read_db, None)["rows"]
              if r["electronic_issued"]]
    issuers = {d.code: d for d in city.scenario.city.departments}
    for i, r in enumerate(issued):
        paper = r["electronic_issued"] + (2 if i == 0 else 0)
        assert post(served, city.scenario.sign(issuers[r["department"]], "ReportPaperCount", {
            "type_code": r["licence_type"], "period": r["period"], "issued": paper,
            "changed": 0, "withdrawn": 0, "in_force": paper})) == 200
    type_code = next(x["type_code"] for x in city.scenario.issued
                     if x["identifier"] == identifier)
    assert post(served, city.scenario.sign(city.user, "ReportCaseCount", {
        "matter_code": "MATTER-001", "type_code": type_code,
        "period": beijing_period(_now()), "cases": 4})) == 200


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def test_management_sees_charts_reconciliation_checkpoint_and_a_clean_audit(
        city: FileCity, served: Served, browser: Browser, shots: Shots) -> None:
    ident = city.identifier()
    reads(city, served, ident)
    report_counts(city, served, ident)
    assert served.http.get("/api/v1/checkpoint").status_code == 200  # publish one
    management = city.scenario.city.management
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, served.base_url, "management", management.code)
    page.wait_for_url("**/manage")
    reload_until(page, lambda: "50.0%" in (
        page.locator("#usage-by-department").text_content() or ""))
    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for chart_id in ("issuance-by-department", "issuance-by-type", "usage-by-department",
                     "usage-by-type"):
        assert page.locator(f"#{chart_id} rect.bar").count() >= 1, chart_id
        assert page.locator(f"#{chart_id} title").text_content()
    assert "50.0%" in (page.locator("#usage-by-department").text_content() or "")  # 2 cases of 4
    assert [r.split("\t")[-1] for r in rows(page, "reconciliation")] == ["相差 -2"]
    summary = page.locator("#reconciliation-summary").inner_text()
    assert "一致的有 7 项" in summary and "未报送的有 1 项" in summary
    assert "记录数" in page.locator("#checkpoint").inner_text()
    check_page(page)
    shots.take(page, "manage-charts")

    page.get_by_role("button", name="重新审计（只读，在后台运行）").click()
    deadline = time.monotonic() + 60
    while "审计通过" not in page.locator("#audit-result").inner_text():
        assert "发现问题" not in page.locator("#audit-result").inner_text()
        assert time.monotonic() < deadline, "the audit did not finish in 60 s"
        time.sleep(0.5)
        page.goto(f"{served.base_url}/manage")
    shots.take(page, "manage-audit")
    context.close()


def test_the_management_view_shows_an_audit_that_finds_a_changed_record(
        city: FileCity, served: Served, browser: Browser, shots: Shots,
        database_url: str) -> None:
    raw = RawEvents(database_url)
    row = next(r for r in raw.rows() if b'"case_number":"' in r.state)
    start = row.state.index(b'"case_number":"') + len(b'"case_number":"')
    raw.set_state(row.nid, flip(row.state, start + 2))  # still JSON, no longer signed
    context = browser.new_context()
    page = context.new_page()
    log_in(page, served.base_url, "management", city.scenario.city.management.code)
    page.wait_for_url("**/manage")
    assert "尚未审计" in page.locator("#audit-result").inner_text()
    page.get_by_role("button", name="重新审计（只读，在后台运行）").click()
    reload_until(page, lambda: "审计" in page.locator("#audit-result").inner_text()
                 and "尚未" not in page.locator("#audit-result").inner_text(), timeout=60)
    result = page.locator("#audit-result").inner_text()
    assert "审计发现问题" in result and "首个问题" in result and row.stream in result
    assert "审计通过" not in result
    shots.take(page, "manage-audit-failed")
    context.close()
