"""Download references in Kafka mode, on PostgreSQL with a real broker (Tansu) and a real
consumer process: the consumer records the download, the service answers its result with a
reference that opens the file once, also when the result is polled after a 202."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.setting_sections import ServiceSettings
from commands.settings import load_settings
from consumers.config import kafka_options
from ledger.integrity.canonical import sha256_hex
from tests.integration.conftest import KafkaTopics
from tests.integration.service_fixtures import kafka_file_city, polled
from tests.integration.service_server import running_service
from tests.integration.test_service_commands import assert_problem
from tests.integration.test_service_downloads import download, fetch
from tests.integration.test_service_kafka import post
from tests.kafka_broker import start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


def test_download_references_through_kafka(pg_url: str, ledger_key: Path, topics: KafkaTopics,
                                           tmp_path: Path) -> None:
    city, original = kafka_file_city(pg_url, ledger_key, tmp_path)
    env = topics.env(pg_url, ledger_key)
    options = kafka_options(load_settings(env))
    consumer = start_consumer(env, tmp_path / "consumer.log", until_idle=None)
    files_dir = str(city.fs.files_dir)
    try:
        with running_service(pg_url, ledger_key, ServiceSettings(
                kafka_wait=60, files_dir=files_dir), options) as served:
            response = post(served.http, download(city, city.identifier(), "CASE-KDL-1"))
            assert response.status_code == 200, response.text
            ref = response.json()["data"]["download"]
            assert ref["file_hash"] == sha256_hex(original)
            assert fetch(served.http, ref["url"], city.user.code).content == original
            assert_problem(fetch(served.http, ref["url"], city.user.code), 410,
                           "reference_used")
        with running_service(pg_url, ledger_key, ServiceSettings(
                kafka_wait=0, files_dir=files_dir), options) as served:
            late = post(served.http, download(city, city.identifier(), "CASE-KDL-2"))
            assert late.status_code == 202, late.text
            answer = polled(served.http, late.json()["poll"])
            assert answer.status_code == 200, answer.text
            url = answer.json()["data"]["download"]["url"]
            assert fetch(served.http, url, city.user.code).content == original
            again = served.http.get(late.json()["poll"]).json()  # a second poll: no new one
            assert "download" not in again.get("data", {})
    finally:
        consumer.terminate()
        consumer.wait(timeout=60)
