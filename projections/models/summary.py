"""A small read model: licences by type and status, commands by type. Built from the log."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from ledger.domain.licence import STATUS_NAMES
from ledger.integrity.mapper import decode_stored


@dataclass
class Summary:
    licence_status: dict[UUID, tuple[str, str]] = field(default_factory=dict)  # type, status
    versions: Counter[str] = field(default_factory=Counter)
    cancelled_in_error: int = 0
    commands: Counter[str] = field(default_factory=Counter)
    type_names: dict[str, str] = field(default_factory=dict)

    def by_type_and_status(self) -> list[tuple[str, Counter[str]]]:
        rows: dict[str, Counter[str]] = {}
        for type_code, status in self.licence_status.values():
            rows.setdefault(type_code, Counter())[status] += 1
        return sorted(rows.items())

    def status_columns(self) -> list[str]:
        return sorted({s for _, s in self.licence_status.values()})


def summarise(rows: Iterator[tuple[int, Any]]) -> Summary:
    summary = Summary()
    for _, row in rows:
        record = decode_stored(row)
        data = record.data
        if record.type == "LicenceIssued":
            summary.licence_status[record.stream] = (data["type_code"], "01")
        elif record.type == "LicenceVersioned":
            summary.versions[data["kind"]] += 1
            type_code, _status = summary.licence_status[record.stream]
            if data["kind"] == "renewal":
                summary.licence_status[record.stream] = (type_code, "01")
        elif "status" in data and record.stream in summary.licence_status:
            summary.licence_status[record.stream] = (
                summary.licence_status[record.stream][0], data["status"])
            if record.type == "LicenceCancelled" and data["issued_in_error"]:
                summary.cancelled_in_error += 1
        elif record.type in ("LicenceTypeRegistered", "LicenceTypeRevised"):
            summary.type_names[data["type_code"]] = data["definition"]["name"]
        elif record.type == "CommandRecorded":
            summary.commands[data["command"]["type"]] += 1
    return summary


def status_label(code: str) -> str:
    return f"{code} {STATUS_NAMES.get(code, '?')}"
