"""Result messages, and answering records again after a crash without applying them.

One result per consumed record goes to the results topic, keyed by command id (records
with no readable id are keyed ``topic:partition:offset``), its value the bus's
``Result.to_json()`` plus where the command was read from.

Results are published *after* the batch's database commit, so a crash in between
leaves applied records unanswered. Kafka's committed offset marks what was answered;
on assignment, the records between it and the database position are answered again by
a dry run (:func:`answer_applied`): it reads the ledger and writes nothing, so it can
never apply a command twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from commands.bootstrap import Services
from commands.bus.pipeline import Result, decode_any
from consumers.records import Incoming, Outgoing

NOT_APPLIED = "not_applied"


def result_key(result: Result, record: Incoming) -> bytes:
    if result.command_id and result.command_id != "-":
        return result.command_id.encode()
    return f"{record.topic}:{record.partition}:{record.offset}".encode()


def result_message(result: Result, record: Incoming, results_topic: str, *,
                   recovered: bool = False) -> Outgoing:
    body: dict[str, Any] = result.to_json()
    body.update(topic=record.topic, partition=record.partition, offset=record.offset)
    if recovered:
        body["recovered"] = True
    return Outgoing(results_topic, result_key(result, record), orjson.dumps(body))


class DryRun:
    """Answers commands as the bus would now, from the ledger's current state, writing nothing."""

    def __init__(self, services: Services) -> None:
        self._bus = services.dry_run_bus()  # built by the composition root
        self._ledger = self._bus.ledger
        self._max_bytes = services.settings.max_record_bytes

    def answer_applied(self, records: Sequence[Incoming]) -> list[Result]:
        """Results for records the ledger has already handled (their offsets are tracked).

        An accepted command has a receipt, so the bus answers with its original events
        (``duplicate=True``). A record without a receipt was rejected when it was handled;
        the reason is recomputed. If the ledger would now accept it, the original reason
        is gone (rejections leave no trace), and it is answered ``not_applied`` instead:
        it must never take effect now, out of its turn.
        """
        try:
            # Isolating: a poison record answered internal_error when it was dead-lettered
            # fails the same way now, and must not stop the others being answered.
            results = self._bus.execute_isolating(
                [decode_any(r.value, self._max_bytes) for r in records])
        finally:
            self._ledger.forget()  # the dry run's cache holds writes that never happened
        return [_as_decided(r) for r in results]


def _as_decided(result: Result) -> Result:
    if result.accepted and not result.duplicate:
        return Result(
            result.command_id, False, NOT_APPLIED,
            "this command was not applied when it was handled, and its reason was lost in a"
            " consumer restart; it will not be applied now. Post it again with a new"
            " command id if it should take effect",
            command_type=result.command_type,
        )
    return result
