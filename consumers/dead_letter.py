"""Dead letters: records that could not even be decoded into a command, and poison
records whose handling failed every time it was tried (consumers/poison.py).

Such a record still gets a rejected result on the results topic (so its sender hears
about it); in addition its original bytes go, unchanged, to the dead-letter topic with
headers saying what was wrong and where it came from, for an operator to inspect.
A well-formed command that the ledger refuses (bad signature, not authorised, unknown
licence) is not a dead letter: its rejected result is the whole answer.
"""

from __future__ import annotations

from commands.bus import Result
from consumers.records import Incoming, Outgoing

ERROR = "ledger-error"
ERROR_CODE = "ledger-error-code"
SOURCE_TOPIC = "ledger-source-topic"
SOURCE_PARTITION = "ledger-source-partition"
SOURCE_OFFSET = "ledger-source-offset"
OURS = (ERROR, ERROR_CODE, SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET)


def dead_letter_headers(record: Incoming, code: str, message: str) -> tuple[tuple[str, bytes], ...]:
    """Our headers first, then the record's own (minus any of ours it already carried,
    e.g. a dead letter posted back by hand, so the new reason is the only one)."""
    ours = (
        (ERROR, message.encode()),
        (ERROR_CODE, code.encode()),
        (SOURCE_TOPIC, record.topic.encode()),
        (SOURCE_PARTITION, str(record.partition).encode()),
        (SOURCE_OFFSET, str(record.offset).encode()),
    )
    return ours + tuple((k, v) for k, v in record.headers if k not in OURS)


def dead_letter(record: Incoming, result: Result, dlq_topic: str,
                error: str | None = None) -> Outgoing:
    """The dead letter for ``record``, answered with ``result``; ``error`` (what went
    wrong, for the operator) replaces the result's message in the headers if given."""
    code = result.code or "undecodable"
    return Outgoing(dlq_topic, record.key, record.value,
                    dead_letter_headers(record, code, error or result.message or code))
