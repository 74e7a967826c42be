"""What ``ledger audit --replay`` found: counts, speed and the first divergence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.integrity.mapper import Record

MAX_SHOWN = 80  # characters of a differing value quoted in a reason


@dataclass(frozen=True)
class Divergence:
    """Where replayed history first differs from the stored one, and how.

    ``kind``: ``diverged`` (an event differs, or a command is refused on replay),
    ``missing`` (the replay produces an event the store lacks), ``extra`` (a stored event
    no command produces), ``no_command`` (an event with no receipt behind it), ``receipt``
    (a receipt whose command cannot be read), ``unreadable`` or ``unsealed`` rows.
    """

    stream: str
    position: int
    notification_id: int
    kind: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"stream": self.stream, "position": self.position,
                "notification_id": self.notification_id, "kind": self.kind,
                "reason": self.reason}


@dataclass
class ReplayReport:
    events: int = 0  # stored rows compared, seals included
    batches: int = 0
    commands: int = 0  # signed commands re-executed
    ledger_events: int = 0  # events the ledger wrote by itself, fed back as inputs
    seconds: float = 0.0
    divergence: Divergence | None = None

    @property
    def ok(self) -> bool:
        return self.divergence is None

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok, "events": self.events, "batches": self.batches,
            "commands": self.commands, "ledger_events": self.ledger_events,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second, 1),
        }
        if self.divergence is not None:
            out["divergence"] = self.divergence.to_json()
        return out


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def _first_path(stored: Any, replayed: Any, path: str) -> str | None:
    """The first key path where two decoded JSON values differ, with both values."""
    if isinstance(stored, dict) and isinstance(replayed, dict):
        for key in sorted(set(stored) | set(replayed)):
            found = _first_path(stored.get(key), replayed.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(stored, list) and isinstance(replayed, list) and len(stored) == len(replayed):
        for i, (a, b) in enumerate(zip(stored, replayed, strict=True)):
            found = _first_path(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if stored == replayed:
        return None
    return f"{path.lstrip('.')} is {_shown(stored)} stored, {_shown(replayed)} on replay"


def first_difference(stored: Record, replayed: Record) -> str:
    """Say, for people, where a stored event and its replay first differ."""
    if (stored.stream, stored.version, stored.type) != (
            replayed.stream, replayed.version, replayed.type):
        return (f"the replay produces {replayed.type} (stream {replayed.stream} version"
                f" {replayed.version}) at this place")
    body = {"at": stored.at, "cause": stored.cause, "data": stored.data, "prev": stored.prev}
    again = {"at": replayed.at, "cause": replayed.cause, "data": replayed.data,
             "prev": replayed.prev}
    return _first_path(body, again, "") or "the bytes differ in their encoding"
