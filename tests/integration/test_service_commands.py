"""The sharing service over real HTTP (uvicorn, httpx) on SQLite and PostgreSQL: signed
commands in, result objects out; every refusal a problem document with its status."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import orjson
import pytest

from commands.setting_sections import ServiceSettings
from ledger.domain.streams import receipt_stream
from ledger.integrity.signing import SigningKey
from projections.models.use_queries import get_access_log
from tests.integration.service_fixtures import api, clock
from tests.integration.service_server import running_service
from tests.integration.use_town import FIELDS, MATTER, OTHER_MATTER, Town

__all__ = ["api", "clock"]  # fixtures, used by name


def post(api: httpx.Client, envelope: dict[str, Any]) -> httpx.Response:
    return api.post("/api/v1/commands", content=orjson.dumps(envelope),
                    headers={"content-type": "application/json"})


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code), body
    assert body["type"].endswith("/" + code) and body["detail"]
    assert "Traceback" not in response.text
    return body


def test_healthz_and_openapi(api: httpx.Client) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    document = api.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    for path in ("/healthz", "/api/v1/commands", "/api/v1/verify-file", "/v/{reference}",
                 "/api/v1/public/status/{reference}", "/api/v1/checkpoint",
                 "/api/v1/proof/inclusion", "/api/v1/proof/consistency"):
        assert path in document["paths"], path
    body = document["paths"]["/api/v1/commands"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/Envelope")
    assert "CmdIssueLicence" in document["components"]["schemas"]


def test_every_answer_carries_the_security_headers(api: httpx.Client) -> None:
    for response in (api.get("/healthz"), api.get("/nowhere"), post(api, {})):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "access-control-allow-origin" not in response.headers  # CORS closed
    assert_problem(api.get("/nowhere"), 404, "not_found")


def test_a_signed_read_answers_with_its_data_and_a_replay_with_the_original_result(
        town: Town, api: httpx.Client) -> None:
    envelope = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                         case="CASE-HTTP-1")
    response = post(api, envelope)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["type"], body["duplicate"]) == (
        "accepted", "VerifyLicence", False)
    assert body["command_id"] == envelope["command_id"] and body["events"]
    assert body["data"]["identifier"] == town.ident("001")
    assert set(body["data"]["face"]) <= set(FIELDS)  # only what the grant lets it see
    again = post(api, envelope)
    assert again.status_code == 200
    replay = again.json()
    assert replay["duplicate"] is True and replay["events"] == body["events"]


def test_a_write_answers_with_the_result_object(town: Town, api: httpx.Client) -> None:
    response = post(api, town.grant("G-HTTP", town.b))
    assert response.status_code == 200, response.text
    assert set(response.json()) >= {"command_id", "status", "code", "message", "type",
                                    "duplicate", "events"}
    schema = api.get("/openapi.json").json()["components"]["schemas"]["Result"]
    jsonschema.validate(response.json(), schema)


def test_refusals_map_to_their_status_and_code(town: Town, api: httpx.Client) -> None:
    good = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                     case="CASE-HTTP-2")
    tampered = {**good, "payload": {**good["payload"], "operator": "someone else"}}
    assert_problem(post(api, tampered), 401, "bad_signature")
    stranger = SigningKey.generate()
    forged = town.s.sign(town.a, "VerifyLicence", good["payload"])
    forged["key_id"] = stranger.key_id
    assert_problem(post(api, forged), 401, "unknown_key")
    unknown_actor = {**town.read(town.a, town.ident("001"), "G-A", case="C-3"),
                     "actor": "91110000000000000X"}
    assert_problem(post(api, unknown_actor), 401, "unknown_actor")
    refused = town.read(town.b, town.ident("001"), "G-A", case="CASE-HTTP-4")
    body = assert_problem(post(api, refused), 403, "wrong_party")
    assert body["command_id"] == refused["command_id"] and body["result"]["events"]
    assert_problem(post(api, town.envelope(town.mgmt, "RevokeGrant", {
        "grant_id": "G-NOPE", "reason": "no such grant"})), 404, "not_found")
    lic = town.lic("001")
    assert_problem(post(api, town.envelope(lic["issuer"], "EndSuspension", {
        "identifier": lic["identifier"], "reason": "it was never suspended"})),
        409, "illegal_transition")
    assert_problem(post(api, town.grant("G-A", town.a)), 409, "already_exists")
    assert_problem(api.post("/api/v1/commands", content=b"{not json"), 400, "malformed_json")
    assert_problem(post(api, {"command_id": str(uuid.uuid4())}), 400, "invalid_command")
    assert_problem(api.post("/api/v1/commands", content=b"x" * ((1 << 20) + 1)), 413,
                   "too_large")


def test_a_body_streamed_past_the_bound_is_refused(api: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 65536

    response = api.post("/api/v1/commands", content=chunks())
    assert_problem(response, 413, "too_large")


def test_the_matter_must_be_granted(town: Town, api: httpx.Client) -> None:
    envelope = town.read(town.a, town.ident("001"), "G-A", matter="MATTER-999",
                         case="CASE-HTTP-6")
    assert MATTER != "MATTER-999"
    assert_problem(post(api, envelope), 403, "not_in_usage_list")


def test_a_department_acting_outside_its_role_is_refused(town: Town, api: httpx.Client) -> None:
    lic = town.lic("001")
    envelope = town.envelope(town.a, "SuspendLicence", {"identifier": lic["identifier"],
                                                        "reason": "not ours to suspend"})
    assert_problem(post(api, envelope), 403, "unauthorised")


def test_concurrent_requests_share_transactions_and_each_is_durable_when_answered(
        town: Town, database_url: str, tmp_path: Path) -> None:
    envelopes = [town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                           case=f"CASE-GROUP-{i}") for i in range(24)]
    settings = ServiceSettings(group_commit_seconds=0.05)
    with running_service(database_url, tmp_path / "ledger-key.pem", settings) as served:
        async def post_all() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as client:
                return await asyncio.gather(*(client.post(
                    "/api/v1/commands", content=orjson.dumps(e)) for e in envelopes))

        responses = asyncio.run(post_all())
        assert [r.status_code for r in responses] == [200] * len(envelopes)
        for envelope, response in zip(envelopes, responses, strict=True):
            assert response.json()["command_id"] == envelope["command_id"]
            # answered means committed: the receipt is in the store, read by another reader
            assert town.services.store.read_stream(receipt_stream(envelope["command_id"]))
        assert served.app.state.writer.batches < len(envelopes)


def test_a_lone_command_is_committed_without_waiting_out_the_window(
        town: Town, database_url: str, tmp_path: Path) -> None:
    """The window bounds how long a batch waits for commands still being received; with
    none on its way the batch goes at once (at a fixed number of clients a fixed wait
    would cap the rate), and is still committed before the answer."""
    settings = ServiceSettings(group_commit_seconds=2.0)
    with running_service(database_url, tmp_path / "ledger-key.pem", settings) as served:
        for i in range(3):
            envelope = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                                 case=f"CASE-LONE-{i}")
            started = time.monotonic()
            response = served.http.post("/api/v1/commands", content=orjson.dumps(envelope))
            assert response.status_code == 200, response.text
            assert time.monotonic() - started < 1.5
            assert town.services.store.read_stream(receipt_stream(envelope["command_id"]))
        assert served.app.state.writer.batches == 3


def test_without_kafka_there_is_nothing_to_poll(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with running_service(url, tmp_path / "key.pem") as served:
        assert_problem(served.http.get(f"/api/v1/results/{'0' * 8}"), 404, "not_found")


def test_a_holders_consent_granted_used_then_revoked_over_http(town: Town,
                                                              api: httpx.Client) -> None:
    ident = town.ident("001")
    granted = post(api, town.consent("K-HTTP", ident, town.a))
    assert granted.status_code == 200, granted.text
    kw: dict[str, Any] = {"command_type": "DownloadLicence", "mode": "consent",
                          "matter": OTHER_MATTER}
    used = post(api, town.read(town.a, ident, "K-HTTP", case="CASE-HOLDER-1", **kw))
    assert used.status_code == 200, used.text
    assert used.json()["data"]["face"]  # consent shows the whole face
    assert_problem(post(api, town.read(town.b, ident, "K-HTTP", case="CASE-HOLDER-2", **kw)),
                   403, "wrong_party")
    revoked = post(api, town.envelope(town.platform, "RevokeGrant", {
        "grant_id": "K-HTTP", "reason": "the holder withdrew consent"}))
    assert revoked.status_code == 200, revoked.text
    assert_problem(post(api, town.read(town.a, ident, "K-HTTP", case="CASE-HOLDER-3", **kw)),
                   403, "grant_revoked")


def test_a_stalled_body_is_cut_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with running_service(url, tmp_path / "key.pem", ServiceSettings(body_timeout=1)) as served:
        address = urlsplit(served.base_url)
        with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
            conn.sendall(b"POST /api/v1/commands HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":")
            started = time.monotonic()
            answer = conn.recv(65536).decode()
        assert answer.startswith("HTTP/1.1 408"), answer
        assert '"code":"too_slow"' in answer and time.monotonic() - started < 5


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_embedded_read_models_follow_between_batches(town: Town, api: httpx.Client) -> None:
    envelope = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                         case="CASE-READ-MODEL")
    assert post(api, envelope).status_code == 200
    deadline = time.monotonic() + 10
    while not [r for r in get_access_log(town.services.read_db, user=town.a.code)
               if r["case_number"] == "CASE-READ-MODEL"]:  # read, never caught up here
        assert time.monotonic() < deadline, "the service did not update the read models"
        time.sleep(0.1)
