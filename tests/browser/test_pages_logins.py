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
from tests.integration.service_server import running_service
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
