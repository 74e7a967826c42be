"""Red-team findings on the Kafka door: records the consumer once could not get past.

A record over LEDGER_MAX_RECORD_BYTES (the broker took it) was dead-lettered whole: the
copy was larger than the producer sends (1 MiB), publishing it failed for ever, and the
partition stopped behind it. A record without a value (a tombstone) was answered
``internal_error`` by a decoder that raised on it. Both are answered now, the dead
letter of the large one cut to its first bytes, and the records behind them applied.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from consumers.dead_letter import KEPT, TRUNCATED
from tests.integration.conftest import KafkaTopics
from tests.integration.kafka_poison import Hostile, poison_in_front
from tests.kafka_broker import read_topic, results_by_command

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_an_oversized_record_and_a_tombstone_never_stop_their_partition(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    oversized = b'{"pad": "' + b"x" * (1 << 20) + b'"}'
    envelopes = poison_in_front(
        topics, pg_url, ledger_key, tmp_path,
        [Hostile(oversized, b"big", [("sender-note", b"n" * 1000)]), Hostile(None, b"tombstone")],
        licences=1, seed=29, max_request_size=4 << 20)
    letters = read_topic(topics.bootstrap, topics.dlq, expect=6)
    assert len(letters) == 6
    big = [r for r in letters if r.key == b"big"]
    assert len(big) == 3
    for letter in big:
        headers = dict(letter.headers)
        assert letter.value == oversized[:KEPT]
        assert b"only the first" in headers[TRUNCATED]
        assert headers["ledger-error-code"] == b"invalid_command"
        assert "sender-note" not in headers
    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=len(envelopes) + 6))
    refused = [a for bodies in answers.values() for a in bodies if a["status"] == "rejected"]
    assert sorted(a["code"] for a in refused) == ["invalid_command"] * 3 + ["malformed_json"] * 3
