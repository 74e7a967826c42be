"""The stand-in logins offer only the departments whose keys this server holds
(docs/pages.md): a department's code is public (it is in every identifier it issues), so
a login that took any issuing or management code the ledger knows would open that
department's usage log (operators, cases, purposes) to anyone who can reach the pages,
for instance on a deployment whose keys folder holds none of them."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from commands.setting_sections import PageSettings
from tests.browser.test_pages_safety import csrf_of, fresh_client
from tests.integration.service_server import Served, running_service
from tests.integration.test_files_pdf import FileCity


def test_a_department_whose_key_the_server_lacks_cannot_sign_in(
        city: FileCity, database_url: str, tmp_path: Path) -> None:
    issuer = city.identifier().split(".")[6]  # the issuing department's code
    keys = tmp_path / "held-keys"
    keys.mkdir()
    for pem in city.fs.keys_dir.glob("*.pem"):
        if not pem.name.startswith(issuer):
            shutil.copy(pem, keys / pem.name)
    assert not (keys / f"{issuer}.pem").exists() and (city.fs.keys_dir / f"{issuer}.pem").exists()
    pages = replace(PageSettings.fresh(), keys_dir=keys)
    with running_service(database_url, tmp_path / "ledger-key.pem", pages=pages) as server, \
            fresh_client(server) as http:
        portal = http.get("/portal")
        assert issuer not in portal.text  # not offered ...
        answer = http.post("/portal/login", data={"role": "issuer", "code": issuer,
                                                  "csrf": csrf_of(portal)})
        assert answer.status_code == 403  # ... and not taken when typed in
        assert http.get("/issuer").status_code == 303
    with running_service(database_url, tmp_path / "ledger-key.pem",
                         pages=replace(pages, keys_dir=city.fs.keys_dir)) as server, \
            fresh_client(server) as http:  # the same department, its key held: signed in
        answer = http.post("/portal/login", data={"role": "issuer", "code": issuer,
                                                  "csrf": csrf_of(http.get("/portal"))})
        assert answer.status_code == 303 and answer.headers["location"] == "/issuer"


def test_a_session_ended_by_logout_does_not_come_back_with_its_old_cookie(
        city: FileCity, served: Served) -> None:
    holder = city.scenario.holder_of(city.identifier())
    issuer = city.identifier().split(".")[6]
    for role, code, view in (("holder", holder, "/holder"), ("issuer", issuer, "/issuer")):
        with fresh_client(served) as http:
            http.post("/portal/login", data={"role": role, "code": code,
                                             "csrf": csrf_of(http.get("/portal"))})
            page = http.get(view)
            assert page.status_code == 200
            kept = http.cookies["ll_session"]  # a copy, say on a shared computer
            out = http.post("/portal/logout", data={"csrf": csrf_of(page)})
            assert out.status_code == 303
        with fresh_client(served) as replayed:
            replayed.cookies.set("ll_session", kept)
            again = replayed.get(view)
            assert again.status_code == 303 and again.headers["location"] == "/portal", role
            form = replayed.post(view + ("/revoke" if role == "holder" else ""),
                                 data={"grant_id": "x", "csrf": csrf_of(page)})
            assert form.status_code in (303, 405), role  # no form of that session either
            if form.status_code == 303:
                assert form.headers["location"] == "/portal"


def test_signing_in_as_another_ends_the_session_before(city: FileCity, served: Served) -> None:
    holder = city.scenario.holder_of(city.identifier())
    other = next(lic["holder"] for lic in city.scenario.issued if lic["holder"] != holder)
    with fresh_client(served) as http:
        http.post("/portal/login", data={"role": "holder", "code": holder,
                                         "csrf": csrf_of(http.get("/portal"))})
        assert http.get("/holder").status_code == 200
        kept = http.cookies["ll_session"]
        again = http.post("/portal/login", data={"role": "holder", "code": other,
                                                 "csrf": csrf_of(http.get("/portal"))})
        assert again.status_code == 303 and http.get("/holder").status_code == 200
    with fresh_client(served) as replayed:
        replayed.cookies.set("ll_session", kept)
        assert replayed.get("/holder").headers["location"] == "/portal"
