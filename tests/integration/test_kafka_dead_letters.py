"""Bytes that are not a command go to the dead-letter topic; the consumer keeps going."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import KafkaTopics
from tests.integration.kafka_poison import Hostile, poison_in_front
from tests.kafka_broker import read_topic, results_by_command

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

POISON = [
    b"\xff\xfe\x00 not even text",
    b"[1, 2, 3]",
    b'{"command_id": "8c1d2a3e-0d4a-4e57-9b7f-1a2c3d4e5f60", "type": "IssueLicence"}',
]


def test_poison_is_dead_lettered_with_its_reason_and_the_rest_applied(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    envelopes = poison_in_front(topics, pg_url, ledger_key, tmp_path,
                                [Hostile(value, b"poison") for value in POISON],
                                licences=3, seed=13)
    letters = read_topic(topics.bootstrap, topics.dlq, expect=3 * len(POISON))
    assert sorted(r.value for r in letters) == sorted(POISON * 3)
    for letter in letters:
        headers = {k: v.decode() for k, v in letter.headers}
        assert headers["ledger-source-topic"] == topics.commands
        assert int(headers["ledger-source-offset"]) < len(POISON)  # first in its partition
        assert headers["ledger-error-code"] in {"malformed_json", "invalid_command"}
        assert headers["ledger-error"]

    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=len(envelopes) + 3 * len(POISON)))
    rejected = [a for bodies in answers.values() for a in bodies if a["status"] == "rejected"]
    assert len(rejected) == 3 * len(POISON)
    assert {a["code"] for a in rejected} == {"malformed_json", "invalid_command"}
