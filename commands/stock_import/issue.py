"""Issue checked stock rows as signed ``IssueLicence`` commands, in batches, resumably.

A row's command id is ``uuid5`` of the file's SHA-256 and the row number, so running the
same file again, or again after an interruption, finds the receipts of what was already
issued and sends only the rest: the ledger ends the same as after one uninterrupted run.
A corrected file (another hash) finds its licences by their serial, which comes from the
licence number: those already issued are skipped too, with a warning if the file now says
something else about them (a change is a ``ChangeLicence``, not a second import).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from commands.bootstrap import Services
from commands.signed.envelope import sign_envelope
from ledger.domain import streams
from ledger.domain.licence import Licence, apply_licence
from ledger.integrity.canonical import format_instant, thaw
from ledger.integrity.receipts import apply_receipt
from ledger.integrity.signing import SigningKey
from ledger.stock.rows import Finding

IMPORT_NAMESPACE = uuid.UUID("6c1c7a51-3e0b-5d2e-9a57-2f0e4b7d1a10")


def command_id(file_sha256: str, row: int) -> str:
    """The id of the command that issues ``row`` of the file with this content."""
    return str(uuid.uuid5(IMPORT_NAMESPACE, f"{file_sha256}:{row}"))


@dataclass
class Issuer:
    """Collects checked rows and issues them a batch at a time through the bus."""

    services: Services
    key: SigningKey
    actor: str
    file_sha256: str
    batch_size: int
    label: str
    on_batch: Callable[[int], None] = lambda _n: None
    issued: int = 0
    already: int = 0
    findings: list[Finding] = field(default_factory=list)  # refusals, differences
    _pending: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def add(self, row: int, payload: dict[str, Any]) -> None:
        self._pending.append((row, payload))
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Issue what is pending; rows whose command already has a receipt are skipped."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        ledger = self.services.ledger
        ids = {row: command_id(self.file_sha256, row) for row, _ in pending}
        licences = {row: streams.licence_stream(p["type_code"], self.actor, p["serial"])
                    for row, p in pending}
        ledger.prefetch([streams.receipt_stream(cid) for cid in ids.values()]
                        + list(licences.values()))
        now = format_instant(datetime.now(UTC))
        batch, rows = [], {}
        for row, payload in pending:
            if ledger.get(streams.receipt_stream(ids[row]), apply_receipt) is not None:
                self.already += 1
                continue
            issued = ledger.get(licences[row], apply_licence)
            if issued is not None:
                self.already += 1
                self._compare(row, payload, issued)
                continue
            batch.append(sign_envelope(self.key, command_type="IssueLicence", actor=self.actor,
                                       payload=payload, issued_at=now, command_id=ids[row]))
            rows[ids[row]] = row
        results = self.services.bus.execute(batch) if batch else []
        if not all(result.accepted for result in results):
            ledger.forget()  # another run of this file may have written since the check
        payloads = dict(pending)
        for result in results:
            row = rows[result.command_id]
            if result.accepted:
                self.issued += 0 if result.duplicate else 1
                self.already += 1 if result.duplicate else 0
            elif (issued := ledger.get(licences[row], apply_licence)) is not None:
                # Another run of the same file, started at the same time, issued it
                # between our check and our batch (our command, signed a moment apart,
                # then reuses its id or its number): issued before, not a refusal.
                self.already += 1
                self._compare(row, payloads[row], issued)
            else:
                self.findings.append(Finding(
                    row, self.label, "error", "not_issued",
                    f"the ledger refused the licence: {result.message} [{result.code}]"))
        self.on_batch(len(pending))

    def _compare(self, row: int, payload: dict[str, Any], issued: Licence) -> None:
        """Warn when a licence issued from another file now reads otherwise."""
        differs = [k for k in COMPARED if _plain(payload.get(k)) != _plain(issued.fields.get(k))]
        if "face" in differs:  # name the fields: a face has many
            old, new = _plain(issued.fields.get("face")) or {}, payload.get("face") or {}
            differs.remove("face")
            differs += [f"face.{n}" for n in sorted(set(old) | set(new))
                        if old.get(n) != new.get(n)]
        if differs:
            self.findings.append(Finding(
                row, self.label, "warning", "differs_from_ledger",
                f"already in the ledger as {issued.identifier}, with other"
                f" {', '.join(differs)}: if the file is right, change the licence"
                " (ChangeLicence); it is not issued again"))


COMPARED = ("licence_number", "holders", "issue_date", "valid_from", "valid_until", "face",
            "paper_number")


def _plain(value: Any) -> Any:
    """Frozen mappings and tuples as plain dicts and lists, to compare with a payload."""
    return orjson.loads(orjson.dumps(thaw(value))) if value is not None else None
