"""What an audit says: the problems it found, each at its place in the log, and its counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

MAX_ERRORS: Final = 100


class AuditFailure(Exception):
    """A check on one row failed; the message says why (the auditor places it)."""


@dataclass
class AuditError:
    stream: str
    position: int
    notification_id: int
    reason: str
    # A knock-on of another problem (a broken link after an altered event, rows a damaged
    # seal no longer vouches for): listed after the problems that cause them.
    consequence: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"stream": self.stream, "position": self.position,
                "notification_id": self.notification_id, "reason": self.reason}


@dataclass
class AuditReport:
    events: int = 0
    streams: int = 0
    batches: int = 0
    commands: int = 0
    ledger_keys: list[str] = field(default_factory=list)
    errors: list[AuditError] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok, "events": self.events, "streams": self.streams,
            "batches": self.batches, "commands": self.commands, "ledger_keys": self.ledger_keys,
        }
        if not self.ok:
            out["errors"] = [e.to_json() for e in self.errors]
            out["first_error"] = self.errors[0].to_json()
            out["errors_truncated"] = self.truncated
        return out
