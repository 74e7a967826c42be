"""The retry policy for commands that arrive before what they depend on.

The rule (docs/kafka.md, "Order across aggregates"): a command whose dependency on
another aggregate is missing is *parked*: its partition is paused at that record,
everything before it is committed, and the record is looked at again every
``park_check_ms``. It is handled as soon as one of these holds:

- ``RETRY``: the dependency has appeared (another partition applied it);
- ``RELEASE``: every other partition has decided all records posted before it,
  so the dependency can no longer arrive; the bus then rejects it, finally;
- ``GIVE_UP``: it has waited ``park_max_seconds`` (a partition of the topic is
  not being consumed, or clocks disagree); the bus decides, and a warning says so.

"Posted before" is judged by record timestamps: ``ledger post`` stamps records with
strictly increasing times, so a partition has passed a record when the next record
it has not yet decided is stamped later (or there is none).

A *barrier* (a grant revocation, :mod:`consumers.readiness`) is never ready by the
ledger's state: only ``RELEASE`` (or ``GIVE_UP``) lets it go, so it is handled after
every command posted before it, whatever partition that travelled on. No waiting
chain can close into a cycle: a record only ever waits for records stamped earlier.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from commands.signed.envelope import SignedCommand


class Decision(enum.Enum):
    WAIT = "wait"
    RETRY = "retry"
    RELEASE = "release"
    GIVE_UP = "give_up"


@dataclass(frozen=True)
class Parked:
    """A partition paused at ``offset`` because that command waits for something."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    since: float  # monotonic seconds, when the record was first parked
    waiting_for: str
    command: SignedCommand


def others_passed(timestamp: int, next_timestamps: Mapping[int, int | None]) -> bool:
    """Has every other partition decided everything stamped at or before ``timestamp``?

    ``next_timestamps`` maps each other partition to the timestamp of the first record
    it has not decided yet (None: it has decided everything it holds). A record with
    no timestamp (-1) can never be placed, so only the time limit frees it.
    """
    if timestamp < 0:
        return False
    return all(ts is None or ts > timestamp for ts in next_timestamps.values())


def decide(*, ready: bool, passed: bool, waited: float, max_wait: float) -> Decision:
    """What to do with a parked command now.

    ``passed`` must have been observed *before* ``ready`` was checked against fresh
    state: then a dependency committed by a partition that had passed is visible.
    """
    if ready:
        return Decision.RETRY
    if passed:
        return Decision.RELEASE
    if waited >= max_wait:
        return Decision.GIVE_UP
    return Decision.WAIT
