"""Signed queries in Kafka mode, on PostgreSQL with a real broker (Tansu) and a real
consumer process: the consumer records the query, the service answers its result with the
data from the read models; a refusal comes back as its problem document."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.setting_sections import ServiceSettings
from commands.settings import load_settings
from consumers.config import kafka_options
from ledger.domain import streams
from tests.integration.conftest import KafkaTopics
from tests.integration.service_fixtures import kafka_town, polled
from tests.integration.service_server import running_service
from tests.integration.test_service_commands import assert_problem
from tests.integration.test_service_holders import holder_query, issuer_of, issuer_query
from tests.integration.test_service_kafka import post
from tests.integration.use_town import Town
from tests.kafka_broker import start_consumer

__all__ = ["kafka_town"]  # a fixture, used by name

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


def test_signed_queries_go_through_kafka(kafka_town: Town, topics: KafkaTopics, pg_url: str,
                                         ledger_key: Path, tmp_path: Path) -> None:
    town = kafka_town
    town.services.projections.catch_up()  # what `ledger project --follow` does beside it
    env = topics.env(pg_url, ledger_key)
    options = kafka_options(load_settings(env))
    consumer = start_consumer(env, tmp_path / "consumer.log", until_idle=None)
    holder = town.s.holder_of(town.ident("001"))
    issuer = issuer_of(town, town.ident("001"))
    try:
        with running_service(pg_url, ledger_key, ServiceSettings(kafka_wait=60),
                             options) as served:
            listing = holder_query(town, town.platform, "ListHolderLicences", holder,
                                   agent_auth="certificate")
            response = post(served.http, listing)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["topic"] == topics.commands
            assert town.ident("001") in [x["identifier"] for x in body["data"]["licences"]]
            [event] = town.services.store.read_stream(
                streams.access_stream(listing["command_id"]))
            assert (event.data["action"], event.data["outcome"]) == ("holder_licences",
                                                                     "allowed")
            stats = post(served.http, issuer_query(town, issuer, "GetIssuerStatistics",
                                                   issuer.code))
            assert stats.status_code == 200, stats.text
            assert {r["department"] for r in stats.json()["data"]["rows"]} == {issuer.code}
            refused = holder_query(town, town.a, "GetHolderAccessLog", holder,
                                   agent_auth="certificate")
            assert_problem(post(served.http, refused), 403, "unauthorised")
        with running_service(pg_url, ledger_key, ServiceSettings(kafka_wait=0),
                             options) as served:
            late = holder_query(town, town.platform, "GetHolderAccessLog", holder,
                                agent_auth="seal")
            response = post(served.http, late)
            assert response.status_code == 202, response.text
            poll = response.json()["poll"]
            assert response.headers["location"] == poll and "?token=" in poll
            # Whoever knows only the command id (or guesses a token) gets the bare result;
            # the holder's data waits for the poster's own poll URL.
            bare = f"/api/v1/results/{late['command_id']}"
            for stranger in (bare, f"{bare}?token={'0' * 32}"):
                seen = polled(served.http, stranger)
                assert seen.status_code == 200 and "reads" not in (seen.json().get("data")
                                                                   or {}), seen.text
            assert_problem(served.http.get(f"{bare}?token=%0d%0aX:1"), 400, "invalid_request")
            answer = polled(served.http, poll)
            assert answer.status_code == 200, answer.text
            data = answer.json()["data"]  # completed as a direct answer would have been
            assert (data["query"], data["holder_code"]) == ("holder_access_log", holder)
            assert isinstance(data["reads"], list)
    finally:
        consumer.terminate()
        consumer.wait(timeout=60)
