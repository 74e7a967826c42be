"""A holder, signed in through the platform's (stand-in) real-name login, grants a
department use of a licence; the department's signed read then succeeds; the holder
revokes; the next read is refused and shows in the holder's history."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from playwright.sync_api import Browser, Page

from commands.signed.envelope import sign_envelope
from ledger.domain.localtime import beijing_date
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey, b64encode
from sharing.pages.holder import OPERATOR
from tests.browser.a11y import check_page
from tests.browser.conftest import Shots, reload_until
from tests.browser.test_pages_public import rendered
from tests.integration.service_server import Served
from tests.integration.test_files_pdf import FileCity

MATTER = "MATTER-HOLDER-1"


def read_as_department(city: FileCity, served: Served, identifier: str, grant_id: str,
                       case: str) -> dict[str, Any]:
    envelope = city.scenario.sign(city.user, "VerifyLicence", {
        "identifier": identifier, "mode": "consent", "grant_id": grant_id,
        "matter_code": MATTER, "case_number": case, "operator": "窗口人员甲",
        "purpose": "办理开户"})
    response = served.http.post("/api/v1/commands", content=orjson.dumps(envelope))
    body: dict[str, Any] = response.json()
    body["http_status"] = response.status_code
    return body


def log_in_as_holder(page: Page, base_url: str, holder: str, shots: Shots | None = None
                     ) -> None:
    page.goto(f"{base_url}/portal")
    assert "演示" in page.locator(".notice-demo").inner_text()  # clearly a stand-in
    if shots is not None:
        check_page(page)
        shots.take(page, "portal")
    page.get_by_label("持证主体代码").fill(holder)
    page.get_by_role("button", name="以持证人身份登录").click()
    page.wait_for_url("**/holder")


def test_holder_grants_then_revokes_and_the_refused_read_shows_in_the_history(
        city: FileCity, served: Served, browser: Browser, shots: Shots) -> None:
    ident = city.identifier()
    holder = city.scenario.holder_of(ident)
    rendered(city, ident)  # the holder sees the file and can open its status page
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in_as_holder(page, served.base_url, holder, shots)
    [cookie] = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.locator("h1").inner_text() == "我的证照"
    reload_until(page, lambda: ident in page.locator("main").inner_text())
    assert "原件（PDF，第 1 版" in page.locator(".files").inner_text()
    check_page(page)
    # Each view of the page is the platform's two signed queries, recorded as the API's are.
    city.services.projections.catch_up()
    recorded = {tuple(r) for r in city.services.read_db.query(
        "SELECT action, organisation, operator, outcome FROM access_log"
        " WHERE case_number = ? AND matter_code = 'holder_query'", [holder])}
    platform = city.scenario.platform.code
    assert {("holder_licences", platform, OPERATOR, "allowed"),
            ("holder_access_log", platform, OPERATOR, "allowed")} <= recorded

    form = page.locator("#grant-form")
    form.get_by_label("证照").select_option(ident)
    form.get_by_label("用证部门代码").fill(city.user.code)
    form.get_by_label("事项编码").fill(MATTER)
    form.get_by_label("下载").check()
    # The script suggested an end date 30 days after the start; keep a shorter one.
    assert form.get_by_label("截止日期").input_value()
    until = beijing_date(city.clock.now) + timedelta(days=10)
    form.get_by_label("截止日期").fill(until.isoformat())
    form.get_by_role("button", name="授权").click()
    page.wait_for_url("**/holder?done=GrantHolderConsent")
    assert "已提交" in page.locator("#outcome").inner_text()
    reload_until(page, lambda: page.locator("table input[name=grant_id]").count() == 1)
    grant_id = page.locator("table input[name=grant_id]").get_attribute("value")
    assert grant_id and grant_id.startswith("K-")
    shots.take(page, "holder-granted")

    allowed = read_as_department(city, served, ident, grant_id, "CASE-PORTAL-1")
    assert allowed["http_status"] == 200 and allowed["status"] == "accepted", allowed

    page.get_by_role("button", name="撤回").click()
    page.wait_for_url("**/holder?done=RevokeGrant")
    reload_until(page, lambda: page.locator("table input[name=grant_id]").count() == 0)

    refused = read_as_department(city, served, ident, grant_id, "CASE-PORTAL-2")
    assert (refused["http_status"], refused["code"]) == (403, "grant_revoked"), refused

    page.goto(f"{served.base_url}/holder")
    reload_until(page, lambda: "CASE-PORTAL-2" in page.locator("main").inner_text())
    history = page.locator("#history tbody tr")
    texts = [history.nth(i).inner_text() for i in range(history.count())]
    [refused_row] = [t for t in texts if "CASE-PORTAL-2" in t]
    assert "拒绝" in refused_row and "grant_revoked" in refused_row
    [allowed_row] = [t for t in texts if "CASE-PORTAL-1" in t]
    assert "允许" in allowed_row and "核验" in allowed_row
    check_page(page)
    shots.take(page, "holder-history")
    page.get_by_role("link", name="查验状态").click()
    page.wait_for_url("**/v/*")
    assert page.locator("#status").inner_text() == "有效"
    context.close()


def test_a_holder_cannot_grant_a_licence_that_is_not_theirs(
        city: FileCity, served: Served, browser: Browser) -> None:
    ident, other = city.identifier(0), city.identifier(1)
    holder = city.scenario.holder_of(ident)
    assert city.scenario.holder_of(other) != holder
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in_as_holder(page, served.base_url, holder)
    reload_until(page, lambda: ident in page.locator("main").inner_text())
    # A forged form (another holder's licence) is refused before anything is signed.
    csrf = page.locator("#grant-form input[name=csrf]").get_attribute("value")
    response = context.request.post(f"{served.base_url}/holder/grant", form={
        "csrf": csrf or "", "identifier": other, "grantee": city.user.code,
        "matter_code": MATTER, "rights": "verify", "valid_from": "2026-01-01",
        "valid_until": "2026-02-01"})
    assert response.status == 400 and "本人名下" in response.text()
    # Without the session's CSRF token nothing is accepted at all.
    response = context.request.post(f"{served.base_url}/holder/grant", form={
        "csrf": "forged", "identifier": ident, "grantee": city.user.code,
        "matter_code": MATTER, "rights": "verify", "valid_from": "2026-01-01",
        "valid_until": "2026-02-01"})
    assert response.status == 403 and "CSRF" in response.text()
    context.close()


def test_once_the_platforms_key_is_revoked_the_portals_writes_are_refused(
        city: FileCity, served: Served, browser: Browser) -> None:
    ident = city.identifier()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in_as_holder(page, served.base_url, city.scenario.holder_of(ident))
    reload_until(page, lambda: ident in page.locator("main").inner_text())
    platform = city.scenario.platform
    new = SigningKey("ed25519", hashlib.sha256(b"platform key 2").digest())
    for envelope in (
            city.scenario.sign(platform, "RegisterDepartmentKey", {
                "code": platform.code, "public_key": b64encode(new.public_key)}),
            sign_envelope(new, command_type="RevokeDepartmentKey", actor=platform.code,
                          payload={"code": platform.code, "key_id": platform.key.key_id,
                                   "reason": "key file leaked"},
                          issued_at=format_instant(datetime.now(UTC)))):
        answer = served.http.post("/api/v1/commands", content=orjson.dumps(envelope))
        assert answer.status_code == 200, answer.text
    form = page.locator("#grant-form")  # the page as it was loaded before the revocation
    form.get_by_label("用证部门代码").fill(city.user.code)
    form.get_by_label("事项编码").fill(MATTER)
    form.get_by_label("截止日期").fill("2099-01-01")
    form.get_by_role("button", name="授权").click()  # a plain form post: no script
    page.wait_for_url("**/holder?code=key_not_valid")
    # The grant was refused, and so is the page's own query: nothing of the holder is shown.
    assert "key_not_valid" in page.locator("main").inner_text()
    assert page.locator("table input[name=grant_id]").count() == 0
    assert ident not in page.content()
    context.close()


def test_a_holder_delegates_to_a_person_without_javascript(
        city: FileCity, served: Served, browser: Browser) -> None:
    ident = city.identifier()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in_as_holder(page, served.base_url, city.scenario.holder_of(ident))
    reload_until(page, lambda: ident in page.locator("main").inner_text())
    def delegate(until: str) -> None:
        form = page.locator("#delegate-form")
        form.get_by_label("被委托人姓名").fill("王小明")
        form.get_by_label("被委托人身份证号码").fill("320581199001011234")
        form.get_by_label("事项编码").fill(MATTER)
        assert form.get_by_label("截止日期").input_value() == ""  # no script, no suggestion
        form.get_by_label("截止日期").fill(until)
        form.get_by_role("button", name="委托").click()

    delegate("2000-01-01")  # before the start: refused before anything is signed
    assert "起止日期" in page.locator("main").inner_text()
    page.goto(f"{served.base_url}/holder")
    delegate((beijing_date(datetime.now(UTC)) + timedelta(days=7)).isoformat())
    page.wait_for_url("**/holder?done=DelegateUse")
    reload_until(page, lambda: page.locator("table input[name=grant_id]").count() == 1)
    row = page.locator("table tbody tr").first.inner_text()
    assert "委托" in row and MATTER in row
    context.close()
