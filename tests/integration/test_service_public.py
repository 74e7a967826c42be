"""The public and auditors' doors over real HTTP, on SQLite and PostgreSQL: the status
behind a rendered file's reference (JSON and zh-CN page), nothing for unknown ones, the
per-client rate limit, checkpoints and proofs as the CLI prints them, and verify-file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from commands.setting_sections import ServiceSettings
from commands.settings import load_settings
from ledger.errors import ConfigurationError
from ledger.transparency.log import TransparencyLog
from licence_files import render_pdf
from licence_files.qr import verification_url
from licence_files.verify import inspect_file
from sharing.routes.files import findings
from tests.integration.service_fixtures import city, clock
from tests.integration.service_server import running_service
from tests.integration.test_files_pdf import FileCity
from tests.integration.test_service_commands import assert_problem

__all__ = ["city", "clock"]  # fixtures, used by name


@pytest.fixture
def api(city: FileCity, database_url: str, tmp_path: Path) -> Iterator[httpx.Client]:
    settings = ServiceSettings(public_rate=1, public_burst=8)
    with running_service(database_url, tmp_path / "ledger-key.pem", settings) as served:
        yield served.http


def reference_of(city: FileCity, identifier: str) -> str:
    """Render an original of ``identifier``; the reference its QR code and metadata carry."""
    data = city.render(identifier)
    reference = inspect_file(data).claimed_reference
    assert reference
    return reference


def test_public_status_of_a_rendered_file_and_of_unknown_references(
        city: FileCity, api: httpx.Client) -> None:
    ident = city.identifier()
    reference = reference_of(city, ident)
    response = api.get(f"/api/v1/public/status/{reference}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "valid" and body["status_text"] == "有效"
    assert body["licence_type"] and body["issuer"] and body["valid_from"]
    assert "valid_until" in body and body["file"]["kind"] == "original"
    assert "holders" not in response.text
    page = api.get(f"/v/{reference}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "有效" in page.text and "截图" in page.text and body["issuer"] in page.text
    for unknown in ("0" * 32, "not-a-reference", "A" * 32):
        assert_problem(api.get(f"/api/v1/public/status/{unknown}"), 404, "not_found")
        missing = api.get(f"/v/{unknown}")
        assert missing.status_code == 404 and "未找到" in missing.text
        assert unknown not in missing.text  # the page says nothing about what was asked


def test_a_revoked_licence_shows_at_once(city: FileCity, api: httpx.Client) -> None:
    ident = city.identifier()
    reference = reference_of(city, ident)
    issuer = city.scenario.issued[0]["issuer"]
    response = api.post("/api/v1/commands", content=orjson.dumps(city.scenario.sign(
        issuer, "RevokeLicence", {"identifier": ident, "reason": "obtained by fraud"})))
    assert response.status_code == 200, response.text
    body = api.get(f"/api/v1/public/status/{reference}").json()
    assert (body["status"], body["status_text"]) == ("revoked", "已撤销")
    assert "已撤销" in api.get(f"/v/{reference}").text


def test_public_queries_are_rate_limited_per_client(city: FileCity, api: httpx.Client) -> None:
    answers = [api.get(f"/api/v1/public/status/{'0' * 32}").status_code for _ in range(12)]
    assert answers[0] == 404 and 429 in answers
    limited = api.get(f"/v/{'0' * 32}")  # the QR page shares the bucket, answered as a page
    assert limited.status_code == 429 and limited.headers["retry-after"] == "5"
    assert limited.headers["content-type"].startswith("text/html")
    assert "查询过于频繁" in limited.text
    assert "'unsafe-inline'" not in limited.headers["content-security-policy"]
    assert api.get(f"/v/{'0' * 32}/x").status_code == 429
    assert api.get("/healthz").status_code == 200  # other doors are not limited


def test_checkpoint_and_proofs_as_the_cli_gives_them(city: FileCity,
                                                     api: httpx.Client) -> None:
    note = api.get("/api/v1/checkpoint")
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    lines = note.text.split("\n")
    size = int(lines[1])
    assert size > 10 and note.text.endswith("\n") and any(x.startswith("— ") for x in lines)
    inclusion = api.get("/api/v1/proof/inclusion", params={"index": 3, "size": size}).json()
    log = TransparencyLog(city.services.store, city.services.read_db)
    log.catch_up()
    assert inclusion == orjson.loads(orjson.dumps(log.inclusion(3, size)))
    consistency = api.get("/api/v1/proof/consistency", params={"from": 5, "to": size}).json()
    assert consistency == orjson.loads(orjson.dumps(log.consistency(5, size)))
    latest = api.get("/api/v1/proof/inclusion", params={"index": 0}).json()
    assert latest["checkpoint"]["size"] >= size
    assert_problem(api.get("/api/v1/proof/inclusion", params={"index": size + 5,
                                                              "size": size}), 404, "out_of_range")
    assert_problem(api.get("/api/v1/proof/inclusion", params={"index": -1}), 400,
                   "invalid_request")
    assert_problem(api.get("/api/v1/proof/consistency", params={"from": "x"}), 400,
                   "invalid_request")


def _verify_command(city: FileCity, payload: dict[str, Any]) -> bytes:
    return orjson.dumps(city.scenario.sign(city.user, "VerifyLicenceFile", {
        **payload, "operator": "officer-2", "purpose": "checking a presented file",
        "matter_code": "MATTER-001", "case_number": "CASE-HTTP"}))


def test_verify_file_answers_the_cli_json_and_is_recorded(city: FileCity,
                                                          api: httpx.Client) -> None:
    data = city.render(city.identifier())
    found = findings(data)
    lazy = _verify_command(city, {**found, "signers": [], "problems": []})
    refused = api.post("/api/v1/verify-file", files={"file": ("licence.pdf", data)},
                       data={"command": lazy.decode()})
    body = assert_problem(refused, 400, "file_mismatch")
    assert body["expected"] == found
    before = city.services.store.max_notification_id()
    response = api.post("/api/v1/verify-file", files={"file": ("licence.pdf", data)},
                        data={"command": _verify_command(city, body["expected"]).decode()})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["verdict"] == "valid" and answer["reasons"] == []
    assert city.services.store.max_notification_id() > before  # the access was recorded
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    shot = api.post("/api/v1/verify-file", files={"file": ("shot.png", picture)},
                    data={"command": _verify_command(city, findings(picture)).decode()})
    assert shot.status_code == 200 and shot.json()["verdict"] != "valid"
    assert_problem(api.post("/api/v1/verify-file", data={"command": "{}"}), 400,
                   "invalid_request")
    assert_problem(api.post("/api/v1/verify-file", files={"file": ("x.pdf", data)},
                            data={"command": "{oops"}), 400, "malformed_json")


def test_new_files_point_their_qr_code_at_the_status_page() -> None:
    assert verification_url("ab" * 16, "https://licences.example.gov.cn") == \
        "https://licences.example.gov.cn/v/" + "ab" * 16
    assert load_settings({}).files.public_url == "http://127.0.0.1:8080"
    assert load_settings({"LEDGER_PUBLIC_URL": "https://x.example/"}).files.public_url == \
        "https://x.example"
    for bad in ("ftp://x.example", "licences.example.gov.cn", "https://x.example/?a=1"):
        with pytest.raises(ConfigurationError, match="LEDGER_PUBLIC_URL"):
            _ = load_settings({"LEDGER_PUBLIC_URL": bad}).files.public_url


def test_files_made_before_keep_verifying(city: FileCity, api: httpx.Client,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # A file of the first version: its QR code says LLV1:<reference> (rendered as then).
    monkeypatch.setattr(render_pdf, "verification_url", lambda reference, _url: f"LLV1:{reference}")
    data = city.render(city.identifier(1))
    monkeypatch.undo()
    reference = inspect_file(data).claimed_reference
    assert reference and api.get(f"/api/v1/public/status/{reference}").status_code == 200
    response = api.post("/api/v1/verify-file", files={"file": ("old.pdf", data)},
                        data={"command": _verify_command(city, findings(data)).decode()})
    assert response.status_code == 200 and response.json()["verdict"] == "valid"
