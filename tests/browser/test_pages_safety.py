"""The pages' safety over plain HTTP: a strict content security policy and no inline
code, session cookies HttpOnly and SameSite=Strict (Secure behind TLS), CSRF tokens on
every form, and every view refused to whoever is not signed in with its role."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from pathlib import Path

import httpx
import orjson

from commands.setting_sections import PageSettings
from tests.integration.service_server import Served, running_service
from tests.integration.test_files_pdf import FileCity


def csrf_of(response: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', response.text)
    assert found, response.text
    return found.group(1)


def fresh_client(served: Served) -> httpx.Client:
    return httpx.Client(base_url=served.base_url, timeout=30)


def test_pages_carry_a_strict_policy_and_no_inline_code(city: FileCity, served: Served
                                                        ) -> None:
    with fresh_client(served) as http:
        portal = http.get("/portal")
        assert portal.status_code == 200
        policy = portal.headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy and "default-src 'none'" in policy
        assert "script-src 'self'" in policy and "form-action 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "<style" not in portal.text and " style=" not in portal.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", portal.text)  # no inline script
        cookie = portal.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" not in cookie  # plain HTTP here
        behind_tls = http.get("/portal", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in behind_tls.headers["set-cookie"]
        css = http.get("/static/site.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert http.get("/static/fonts/cjk.ttc").status_code == 200
        for bad in ("/static/..%2fapp.py", "/static/nothing.js", "/static/fonts/other.ttf"):
            assert http.get(bad).status_code == 404, bad


def test_forms_need_the_sessions_csrf_token(city: FileCity, served: Served) -> None:
    holder = city.scenario.holder_of(city.identifier())
    with fresh_client(served) as http:
        token = csrf_of(http.get("/portal"))
        for form in ({"role": "holder", "code": holder},
                     {"role": "holder", "code": holder, "csrf": ""},
                     {"role": "holder", "code": holder, "csrf": token + "x"}):
            refused = http.post("/portal/login", data=form)
            assert refused.status_code == 403 and "CSRF" in refused.text
            assert http.get("/holder").status_code == 303  # still not signed in
        with fresh_client(served) as other:  # another visitor's token is not this one's
            assert other.post("/portal/login", data={
                "role": "holder", "code": holder, "csrf": token}).status_code == 403
        signed_in = http.post("/portal/login", data={"role": "holder", "code": holder,
                                                     "csrf": token})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/holder"
        page = http.get("/holder")
        assert page.status_code == 200 and csrf_of(page) != token  # a new token at login


def test_logins_and_views_are_refused_to_the_wrong_party(city: FileCity, served: Served
                                                         ) -> None:
    issuer = city.scenario.issued[0]["issuer"]
    with fresh_client(served) as http:
        token = csrf_of(http.get("/portal"))
        for form, status in (({"role": "management", "code": issuer.code}, 403),
                             ({"role": "issuer", "code": city.user.code}, 403),
                             ({"role": "issuer", "code": "NOSUCHDEPT0000000X"}, 403),
                             ({"role": "root", "code": issuer.code}, 400),
                             ({"role": "holder", "code": "短"}, 400),
                             ({"role": "holder", "code": "<script>1</script>"}, 400)):
            answer = http.post("/portal/login", data={**form, "csrf": token})
            assert answer.status_code == status, (form, answer.text)
            assert "<script>1" not in answer.text
        for path in ("/holder", "/issuer", "/manage"):
            answer = http.get(path)
            assert answer.status_code == 303 and answer.headers["location"] == "/portal"
        assert http.post("/holder/grant", data={"csrf": token}).status_code == 303
        assert http.post("/manage/audit", data={"csrf": token}).status_code == 303

        assert http.post("/portal/login", data={"role": "issuer", "code": issuer.code,
                                                "csrf": token}).status_code == 303
        assert http.get("/issuer").status_code == 200
        for path in ("/holder", "/manage"):  # one role's session opens no other view
            assert http.get(path).status_code == 303
        # A cookie altered by the client is no session at all.
        value = http.cookies["ll_session"]
        http.cookies.clear()
        http.cookies.set("ll_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
        assert http.get("/issuer").status_code == 303


def test_the_portal_shows_only_outcomes_its_own_redirects_name(city: FileCity, served: Served
                                                               ) -> None:
    holder = city.scenario.holder_of(city.identifier())
    with fresh_client(served) as http:
        token = csrf_of(http.get("/portal"))
        http.post("/portal/login", data={"role": "holder", "code": holder, "csrf": token})
        for query in ("?code=<b>x</b>", "?done=<b>x</b>", "?code=" + "a" * 41,
                      "?done=ViewLicence"):
            page = http.get("/holder" + query)
            assert page.status_code == 200 and 'id="outcome"' not in page.text, query
        assert "grant_revoked" in http.get("/holder?code=grant_revoked").text


def test_without_the_stand_ins_there_is_no_login(city: FileCity, database_url: str,
                                                 tmp_path: Path) -> None:
    pages = replace(PageSettings.fresh(), keys_dir=city.fs.keys_dir, demo_login=False)
    holder = city.scenario.holder_of(city.identifier())
    with running_service(database_url, tmp_path / "ledger-key.pem", pages=pages) as server, \
            fresh_client(server) as http:
        portal = http.get("/portal")
        assert portal.status_code == 200 and "演示" not in portal.text
        assert 'name="code"' not in portal.text
        answer = http.post("/portal/login", data={"role": "holder", "code": holder,
                                                  "csrf": csrf_of_cookie(http)})
        assert answer.status_code == 404
        assert http.get("/holder").status_code == 303


def csrf_of_cookie(http: httpx.Client) -> str:
    """The session's token, read from its cookie (the portal shows no form here)."""
    value = http.cookies["ll_session"]
    body = value.split(".")[0]
    token: str = orjson.loads(base64.urlsafe_b64decode(body.encode()))["csrf"]
    return token


def test_answers_at_page_paths_that_no_template_renders_are_strict_too(
        city: FileCity, served: Served) -> None:
    """A method the page does not take, a path under /v/ that is no reference, an unknown
    path: none of them allows inline code, and a /v/ path gets the page that repeats
    nothing of the request (not a document that names the path)."""
    with fresh_client(served) as http:
        for method, path, status in (("HEAD", "/v/" + "0" * 32, 405),
                                     ("GET", "/v/a/<script>alert(1)</script>", 404),
                                     ("GET", "/nothing-here", 404)):
            answer = http.request(method, path)
            assert answer.status_code == status, (method, path)
            policy = answer.headers["content-security-policy"]
            assert "'unsafe-inline'" not in policy and "default-src 'none'" in policy, path
        nested = http.get("/v/a/<script>alert(1)</script>")
        assert nested.headers["content-type"].startswith("text/html")
        assert "未找到" in nested.text and "alert" not in nested.text
