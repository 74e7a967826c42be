"""Command receipts: the signed command, stored once, keyed by its command id.

The receipt makes every accepted command idempotent (a repeated command id finds it
and gets the original result back) and lets an auditor re-verify the department's
signature over the exact command that caused each event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.events import DomainEvent, event


@event
@dataclass(frozen=True)
class CommandAccepted(DomainEvent):
    command_id: str
    command: Mapping[str, Any]  # the full signed envelope as received (signature included)
    digest: str  # sha256 of the canonical signing bytes
    received_at: str
    events: tuple[tuple[str, int], ...]  # (stream, version) of every event the command caused


@dataclass(frozen=True)
class Receipt:
    command_id: str
    digest: str
    actor: str
    command_type: str
    events: tuple[tuple[str, int], ...]


def apply_receipt(state: Receipt | None, evt: DomainEvent) -> Receipt:
    if isinstance(evt, CommandAccepted):
        return Receipt(
            evt.command_id, evt.digest, str(evt.command["actor"]), str(evt.command["type"]),
            tuple((str(s), int(v)) for s, v in evt.events),
        )
    raise TypeError(f"{type(evt).__name__} does not apply to a receipt")
