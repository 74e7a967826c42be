"""Single-use download references over real HTTP, on SQLite and PostgreSQL: a
DownloadLicence answered with a reference that opens the stored file once, for its
operator only, and not after it expired."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from commands.demo.scenario import Dept
from commands.replay.run import replay_store
from commands.setting_sections import ServiceSettings
from ledger.domain import streams
from ledger.integrity.canonical import sha256_hex
from projections.models.use_queries import get_access_log
from tests.integration.service_fixtures import city, clock
from tests.integration.service_server import Served, running_service
from tests.integration.test_files_pdf import FileCity
from tests.integration.test_service_commands import assert_problem

__all__ = ["city", "clock"]  # fixtures, used by name

OPERATOR = "经办人-李四"


@pytest.fixture
def served(city: FileCity, database_url: str, tmp_path: Path) -> Iterator[Served]:
    settings = ServiceSettings(files_dir=str(city.fs.files_dir), download_ttl=2)
    with running_service(database_url, tmp_path / "ledger-key.pem", settings) as served:
        yield served


def download(city: FileCity, identifier: str, case: str,
             operator: str = OPERATOR) -> dict[str, Any]:
    return city.scenario.sign(city.user, "DownloadLicence", {
        "identifier": identifier, "mode": "function", "grant_id": city.grant_id,
        "matter_code": "MATTER-001", "case_number": case, "operator": operator,
        "purpose": "办理税务登记"})


def post(http: httpx.Client, envelope: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/api/v1/commands", content=orjson.dumps(envelope),
                         headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def fetch(http: httpx.Client, url: str, department: str,
          operator: str = OPERATOR) -> httpx.Response:
    return http.get(url, headers={"X-Ledger-Department": quote(department),
                                  "X-Ledger-Operator": quote(operator)})


def test_a_reference_opens_its_file_once(city: FileCity, served: Served) -> None:
    ident = city.identifier()
    original = city.render(ident)
    body = post(served.http, download(city, ident, "CASE-DL-1"))
    ref = body["data"]["download"]
    assert (ref["kind"], ref["format"], ref["file_hash"]) == (
        "original", "pdf", sha256_hex(original))
    assert len(ref["reference"]) == 32 and ref["url"] == f"/api/v1/files/{ref['reference']}"
    assert ref["expires_at"].endswith("Z")
    first = fetch(served.http, ref["url"], city.user.code)
    assert first.status_code == 200, first.text
    assert first.content == original
    assert first.headers["content-type"] == "application/pdf"
    assert first.headers["cache-control"] == "no-store"
    assert_problem(fetch(served.http, ref["url"], city.user.code), 410, "reference_used")
    stored = [r[0] for r in city.services.state_db.query("SELECT ref_hash FROM download_refs")]
    assert stored == [sha256_hex(ref["reference"].encode())]  # never the reference itself


def test_a_replayed_download_gets_no_new_reference(city: FileCity, served: Served) -> None:
    ident = city.identifier()
    city.render(ident)
    envelope = download(city, ident, "CASE-DL-5")
    first = post(served.http, envelope)
    assert first["data"]["download"] is not None
    replay = post(served.http, envelope)
    assert replay["duplicate"] is True and "download" not in (replay.get("data") or {})


def test_a_reference_is_bound_to_its_department_and_operator(city: FileCity,
                                                            served: Served) -> None:
    ident = city.identifier()
    city.render(ident)
    url = post(served.http, download(city, ident, "CASE-DL-2"))["data"]["download"]["url"]
    other = city.scenario.using_departments[1].code
    for department, operator in ((other, OPERATOR), (city.user.code, "经办人-王五"),
                                 (city.user.code, ""), ("", OPERATOR)):
        body = assert_problem(fetch(served.http, url, department, operator), 403,
                              "wrong_party")
        assert OPERATOR not in body["detail"]  # the binding is not told to a stranger
    assert fetch(served.http, url, city.user.code).status_code == 200  # refusals spent nothing


def test_expired_and_unknown_references_are_refused(city: FileCity, served: Served) -> None:
    ident = city.identifier()
    city.render(ident)
    url = post(served.http, download(city, ident, "CASE-DL-3"))["data"]["download"]["url"]
    time.sleep(2.2)  # the service's references live 2 s here (LEDGER_DOWNLOAD_TTL)
    assert_problem(fetch(served.http, url, city.user.code), 410, "reference_expired")
    for unknown in ("0" * 32, "not-a-reference", "A" * 32, "0" * 33):
        assert_problem(fetch(served.http, f"/api/v1/files/{unknown}", city.user.code), 404,
                       "not_found")


def test_no_file_no_reference_and_replay_stays_clean(city: FileCity, served: Served) -> None:
    ident = city.identifier(1)  # never rendered
    body = post(served.http, download(city, ident, "CASE-DL-4"))
    assert body["data"]["download"] is None and body["data"]["identifier"] == ident
    holder, platform = city.scenario.holder_of(ident), city.scenario.platform
    mine = post(served.http, holder_download(city, platform, ident, holder, agent_auth="seal"))
    assert mine["data"]["download"] is None and mine["data"]["face"]
    refused = http_post(served.http, holder_download(city, city.user, ident, holder))
    assert refused.status_code == 403
    report = replay_store(city.services.store)
    assert report.ok, report.divergence


def holder_download(city: FileCity, actor: Dept, identifier: str, holder: str,
                    **extra: Any) -> dict[str, Any]:
    return city.scenario.sign(actor, "DownloadHolderLicence", {
        "identifier": identifier, "holder_code": holder, "operator": OPERATOR,
        "purpose": "持证人下载本人证照", **extra})


def test_a_platform_downloads_a_holders_own_licence(city: FileCity, served: Served) -> None:
    ident = city.identifier()
    original = city.render(ident)
    holder = city.scenario.holder_of(ident)
    platform = city.scenario.platform
    envelope = holder_download(city, platform, ident, holder, agent_auth="certificate")
    data = post(served.http, envelope)["data"]
    assert data["identifier"] == ident and data["face"]
    fetched = fetch(served.http, data["download"]["url"], platform.code)
    assert fetched.status_code == 200 and fetched.content == original
    [event] = city.services.store.read_stream(streams.access_stream(envelope["command_id"]))
    assert (event.data["action"], event.data["mode"], event.data["identifier"],
            event.data["case_number"]) == ("holder_download", "holder", ident, holder)
    city.services.projections.catch_up()
    by_issuer = get_access_log(city.services.read_db, issuer=ident.split(".")[6])
    assert [r["action"] for r in by_issuer if r["case_number"] == holder] == [
        "holder_download"]  # the issuer sees the holder's download like any read


def test_holder_downloads_are_refused_for_others(city: FileCity, served: Served) -> None:
    ident = city.identifier()
    city.render(ident)
    holder = city.scenario.holder_of(ident)
    stranger = next(x["holder"] for x in city.scenario.issued if x["holder"] != holder)
    platform = city.scenario.platform
    for envelope, status, code in (
            (holder_download(city, platform, ident, stranger, agent_auth="seal"), 403,
             "wrong_party"),
            (holder_download(city, city.user, ident, holder, agent_auth="seal"), 403,
             "unauthorised"),
            (holder_download(city, platform, ident, holder), 403, "agent_not_authenticated"),
            (holder_download(city, platform, ident[:-3] + "999.Z", holder, agent_auth="seal"),
             404, "not_found")):
        response = http_post(served.http, envelope)
        body = assert_problem(response, status, code)
        assert "data" not in body["result"]
        [event] = city.services.store.read_stream(streams.access_stream(envelope["command_id"]))
        assert (event.data["outcome"], event.data["code"]) == ("refused", code)
    missing = {k: v for k, v in holder_download(city, platform, ident, holder).items()}
    missing["payload"] = {k: v for k, v in missing["payload"].items() if k != "identifier"}
    assert_problem(http_post(served.http, missing), 400, "invalid_command")


def http_post(http: httpx.Client, envelope: dict[str, Any]) -> httpx.Response:
    return http.post("/api/v1/commands", content=orjson.dumps(envelope),
                     headers={"content-type": "application/json"})


def test_racing_requests_get_the_file_once(city: FileCity, served: Served) -> None:
    ident = city.identifier()
    city.render(ident)
    url = post(served.http, download(city, ident, "CASE-DL-6"))["data"]["download"]["url"]

    def one(_: int) -> int:
        with httpx.Client(base_url=served.base_url, timeout=30) as http:
            return fetch(http, url, city.user.code).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(one, range(8)))
    assert statuses == [200] + [410] * 7
