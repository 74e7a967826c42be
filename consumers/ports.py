"""What the command consumer hands its collaborators, by name.

:class:`~consumers.command_consumer.CommandConsumer` owns the Kafka clients, the ledger's
services and the loop. Its collaborators (:mod:`consumers.assignment`,
:mod:`consumers.parking_watch`, :mod:`consumers.poison`) are each given exactly what they
use of it, as the answers and callables below, the stored positions
(:class:`consumers.records.Positions`) and the small protocols in their own modules,
never the consumer itself: none of them imports ``command_consumer``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kafka import TopicPartition

from commands.bus.pipeline import Result
from consumers.records import Incoming


@dataclass(frozen=True)
class Answer:
    """The result for one consumed record; ``poison`` records also go to the DLQ
    (with ``error`` as the reason when it differs from the result's message)."""

    record: Incoming
    result: Result
    poison: bool
    recovered: bool = False
    error: str | None = None


# Publish the answers, then commit Kafka's offsets (partition -> next offset) of those
# still assigned: CommandConsumer.publish.
Publish = Callable[[list[Answer], dict[TopicPartition, int]], None]
# Answers for records already applied, by a dry run: CommandConsumer.answer_applied.
AnswerApplied = Callable[[list[Incoming]], list[Answer]]
# Someone else applied (part of) these records: answer those, seek past them.
AfterConflict = Callable[[TopicPartition, list[Incoming]], list[Answer]]
# The ledger database did not answer: hold the partitions, wait, resume.
WaitForDatabase = Callable[[Exception], None]
