"""The service in Kafka mode, on PostgreSQL with a real broker (Tansu) and a real consumer
process: a command posted over HTTP goes through ``licence.commands`` and is answered with
its result from ``licence.results``; past the bound, 202 and a URL to poll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from commands.setting_sections import ServiceSettings
from commands.settings import load_settings
from consumers.config import kafka_options
from sharing.routes.files import findings
from tests.integration.conftest import KafkaTopics
from tests.integration.service_fixtures import kafka_file_city, kafka_town, polled
from tests.integration.service_server import running_service
from tests.integration.test_service_commands import assert_problem
from tests.integration.use_town import Town
from tests.kafka_broker import start_consumer

__all__ = ["kafka_town"]  # a fixture, used by name

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


def post(api: httpx.Client, envelope: dict[str, Any]) -> httpx.Response:
    return api.post("/api/v1/commands", content=orjson.dumps(envelope))


def test_commands_go_through_kafka_and_late_answers_are_polled(
        kafka_town: Town, topics: KafkaTopics, pg_url: str, ledger_key: Path,
        tmp_path: Path) -> None:
    town = kafka_town
    env = topics.env(pg_url, ledger_key)
    options = kafka_options(load_settings(env))
    consumer = start_consumer(env, tmp_path / "consumer.log", until_idle=None)
    try:
        with running_service(pg_url, ledger_key, ServiceSettings(kafka_wait=60),
                             options) as served:
            api = served.http
            envelope = town.read(town.a, town.ident("001"), "G-A",
                                 command_type="VerifyLicence", case="CASE-KAFKA-1")
            response = post(api, envelope)
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["status"], body["duplicate"]) == ("accepted", False)
            assert body["topic"] == topics.commands and body["data"]
            again = post(api, envelope).json()
            assert again["duplicate"] is True and again["events"] == body["events"]
            tampered = {**envelope, "command_id": town.s.ids()}
            assert_problem(post(api, tampered), 401, "bad_signature")
            refused = town.read(town.b, town.ident("001"), "G-A", case="CASE-KAFKA-2")
            assert_problem(post(api, refused), 403, "wrong_party")
            assert_problem(api.post("/api/v1/commands", content=b"{"), 400, "malformed_json")
        with running_service(pg_url, ledger_key, ServiceSettings(kafka_wait=0),
                             options) as served:
            late = town.read(town.a, town.ident("001"), "G-A", command_type="VerifyLicence",
                             case="CASE-KAFKA-3")
            response = post(served.http, late)
            assert response.status_code == 202, response.text
            poll = response.json()["poll"]
            assert response.headers["location"] == poll
            answer = polled(served.http, poll)
            assert answer.status_code == 200 and answer.json()["command_id"] == late["command_id"]
    finally:
        consumer.terminate()
        consumer.wait(timeout=60)



def test_verify_file_goes_through_kafka_too(pg_url: str, ledger_key: Path, topics: KafkaTopics,
                                            tmp_path: Path) -> None:
    city, data = kafka_file_city(pg_url, ledger_key, tmp_path)
    env = topics.env(pg_url, ledger_key)
    consumer = start_consumer(env, tmp_path / "consumer.log", until_idle=None)
    try:
        with running_service(pg_url, ledger_key, ServiceSettings(kafka_wait=60),
                             kafka_options(load_settings(env))) as served:
            command = city.scenario.sign(city.user, "VerifyLicenceFile", {
                **findings(data), "operator": "officer-2", "purpose": "checking a file",
                "matter_code": "MATTER-001", "case_number": "CASE-KAFKA-FILE"})
            response = served.http.post("/api/v1/verify-file",
                                        files={"file": ("licence.pdf", data)},
                                        data={"command": orjson.dumps(command).decode()})
            assert response.status_code == 200, response.text
            assert response.json()["verdict"] == "valid"
    finally:
        consumer.terminate()
        consumer.wait(timeout=60)
