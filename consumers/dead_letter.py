"""Dead letters: records that could not even be decoded into a command, and poison
records whose handling failed every time it was tried (consumers/poison.py).

Such a record still gets a rejected result on the results topic (so its sender hears
about it); in addition its original bytes go, unchanged, to the dead-letter topic with
headers saying what was wrong and where it came from, for an operator to inspect.
A well-formed command that the ledger refuses (bad signature, not authorised, unknown
licence) is not a dead letter: its rejected result is the whole answer.
"""

from __future__ import annotations

from commands.bus.pipeline import Result
from consumers.records import Incoming, Outgoing

ERROR = "ledger-error"
ERROR_CODE = "ledger-error-code"
SOURCE_TOPIC = "ledger-source-topic"
SOURCE_PARTITION = "ledger-source-partition"
SOURCE_OFFSET = "ledger-source-offset"
TRUNCATED = "ledger-truncated"
OURS = (ERROR, ERROR_CODE, SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET, TRUNCATED)
# A dead letter is published whole up to this size (value, key and headers), and cut to
# KEPT bytes of value and key beyond it: well inside the 1 MiB that kafka-python's
# producer and Kafka's brokers take by default.
WHOLE_UP_TO = 512 * 1024
KEPT = 64 * 1024


def dead_letter_headers(record: Incoming, code: str, message: str) -> tuple[tuple[str, bytes], ...]:
    """Our headers first, then the record's own (minus any of ours it already carried,
    e.g. a dead letter posted back by hand, so the new reason is the only one)."""
    return _ours(record, code, message) + tuple(
        (k, v) for k, v in record.headers if k not in OURS)


def _ours(record: Incoming, code: str, message: str) -> tuple[tuple[str, bytes], ...]:
    return (
        (ERROR, message.encode()),
        (ERROR_CODE, code.encode()),
        (SOURCE_TOPIC, record.topic.encode()),
        (SOURCE_PARTITION, str(record.partition).encode()),
        (SOURCE_OFFSET, str(record.offset).encode()),
    )


def dead_letter(record: Incoming, result: Result, dlq_topic: str,
                error: str | None = None) -> Outgoing:
    """The dead letter for ``record``, answered with ``result``; ``error`` (what went
    wrong, for the operator) replaces the result's message in the headers if given.

    A record too large to be published again whole (its value, key and headers over
    :data:`WHOLE_UP_TO`) keeps only the first :data:`KEPT` bytes of its value and key and
    none of its own headers, and says so in :data:`TRUNCATED`: the producer (1 MiB per
    request) or the broker (Kafka's default message.max.bytes is 1 MiB) would refuse the
    copy, and the partition would stop on a dead letter it can never publish. The whole
    record stays at its source offset, named in the headers.
    """
    code = result.code or "undecodable"
    message = (error or result.message or code)[:KEPT]
    headers = dead_letter_headers(record, code, message)
    value, key = record.value or b"", record.key or b""
    size = len(value) + len(key) + sum(len(k) + len(v) for k, v in headers)
    if size <= WHOLE_UP_TO:
        return Outgoing(dlq_topic, record.key, record.value, headers)
    note = (f"the record was {len(value)} bytes of value, {len(key)} of key and"
            f" {len(record.headers)} headers of {size - len(value) - len(key)} bytes; only the"
            f" first {KEPT} bytes of value and key are kept here, the whole record is at its"
            " source offset")
    return Outgoing(dlq_topic, key[:KEPT] if record.key is not None else None, value[:KEPT],
                    (*_ours(record, code, message), (TRUNCATED, note.encode())))
