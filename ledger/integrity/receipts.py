"""Command receipts: the signed command, stored once, keyed by its command id.

A receipt is written for every command the ledger *applied* — and for reads it refused,
since those attempts are recorded too. Commands refused outright (bad signature, illegal
transition, …) change nothing and leave no receipt: re-posting one is judged afresh.

The receipt makes every accepted command idempotent (a repeated command id finds it
and gets the original result back) and lets an auditor re-verify the department's
signature over the exact command that caused each event. It is also the input of the
replay (``ledger audit --replay``): the command, re-executed at ``received_at`` (the
batch's instant), must produce exactly the stored events, this receipt last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.domain.events import DomainEvent, event


@event
@dataclass(frozen=True)
class CommandRecorded(DomainEvent):
    command_id: str
    command: Mapping[str, Any]  # the full signed envelope as received (signature included)
    digest: str  # sha256 of the canonical signing bytes
    received_at: str
    events: tuple[tuple[str, int], ...]  # (stream, version) of every event the command caused
    # "accepted", or "refused" for a read the ledger recorded but did not allow (Art. 27:
    # refused attempts are logged too); code and message say why.
    outcome: str = "accepted"
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Receipt:
    command_id: str
    digest: str
    actor: str
    command_type: str
    events: tuple[tuple[str, int], ...]
    outcome: str = "accepted"
    code: str | None = None
    message: str | None = None


def apply_receipt(state: Receipt | None, evt: DomainEvent) -> Receipt:
    if isinstance(evt, CommandRecorded):
        return Receipt(
            evt.command_id, evt.digest, str(evt.command["actor"]), str(evt.command["type"]),
            tuple((str(s), int(v)) for s, v in evt.events), evt.outcome, evt.code, evt.message,
        )
    raise TypeError(f"{type(evt).__name__} does not apply to a receipt")
