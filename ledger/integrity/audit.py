"""Recompute every hash and check every signature and chain link, in global order.

The auditor trusts nothing but the stored rows and the key history they contain:

* each row decodes, is in canonical form, and its bytes name the row's stream/version;
* versions of a stream run 1, 2, 3… and each event's ``prev`` is the hash of the last;
* every batch ends with a ``BatchSealed`` listing exactly the hashes of its events,
  signed by a ledger key registered in the ledger (later keys endorsed by earlier ones);
* every event caused by a command matches that command's receipt, whose department
  signature verifies with a key registered to the actor, not revoked before the command
  was recorded, and valid when the command says it was signed.

It streams the rows page by page in two passes: global order for everything above but
the per-stream links, then ordered by stream for those (:mod:`ledger.integrity.audit_chains`), so
its memory does not grow with the number of streams. The keys it judges signatures with
are :mod:`ledger.integrity.audit_keys`; what it reports, :mod:`ledger.integrity.audit_report`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from eventsourcing.persistence import StoredEvent

from ledger.domain.events import EVENT_TYPES
from ledger.domain.streams import receipt_stream
from ledger.errors import InvalidSignatureError
from ledger.integrity import all_events  # noqa: F401 - every event type must decode
from ledger.integrity.audit_chains import ChainChecker, in_stream_order, rows_by_stream
from ledger.integrity.audit_damage import guarded, readable_rows
from ledger.integrity.audit_keys import ENDINGS, KEY_EVENTS, AuditKeys, DelayedKeyEndings
from ledger.integrity.audit_report import MAX_ERRORS, AuditError, AuditFailure, AuditReport
from ledger.integrity.canonical import canonical_bytes, sha256_hex
from ledger.integrity.mapper import Record, RecordFormatError, decode_stored, stored_body
from ledger.integrity.sealing import seal_message
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import b64decode, verify

__all__ = ["AuditError", "AuditReport", "Auditor", "Observer", "Progress", "audit_rows",
           "audit_store"]


class Auditor:
    def __init__(self) -> None:
        self.report = AuditReport()
        self.last_nid = 0
        self.batch: list[tuple[str, Record, int]] = []
        self.keys = AuditKeys()
        self.unreadable_receipts = 0
        self.causes: dict[str, list[tuple[Record, int]]] = {}
        self.pending_endings: DelayedKeyEndings[Record] = DelayedKeyEndings()

    def fail(self, stream: str, position: int, nid: int, reason: str,
             consequence: bool = False) -> None:
        if len(self.report.errors) >= MAX_ERRORS:
            self.report.truncated = True
            return
        self.report.errors.append(AuditError(stream, position, nid, reason, consequence))

    def run(self, rows: Iterable[tuple[int, Any]],
            chains: Callable[[int], Iterable[tuple[int, StoredEvent]]],
            progress: Progress | None = None) -> AuditReport:
        """First pass over ``rows`` (global order); then ``chains(last_nid)``: the same rows
        up to the last one the first pass saw, ordered by stream and version. Rows that
        cannot be read are reported as storage damage (:mod:`ledger.integrity.audit_damage`)."""
        for nid, row in guarded(rows, lambda: self.last_nid, "the rows in global order",
                                self.damaged_row):
            self.row(nid, row)
            if progress is not None and self.report.events % 10_000 == 0:
                progress("signatures and seals", self.report.events)
        checker = ChainChecker(self.fail)
        chained = guarded(chains(self.last_nid), lambda: checker.last_nid,
                          "the rows stream by stream", self._chain_damage)
        checker.run(chained, None if progress is None else lambda n: progress("stream chains", n))
        self.report.streams = checker.streams
        self.finish()
        return self.report

    def _chain_damage(self, nid: int, reason: str) -> None:
        # The damage the first pass met, met again in stream order: a knock-on.
        again = any(e.stream == "storage" for e in self.report.errors)
        self.fail("storage", nid, nid, reason, consequence=again)

    def damaged_row(self, nid: int, reason: str) -> None:
        """Storage that cannot be read at (or after) row ``nid``."""
        self.unreadable_receipts += 1  # the missing receipt may be this very row
        self.fail("storage", nid, nid, reason)

    def row(self, nid: int, row: Any) -> None:
        self.report.events += 1
        self.last_nid = max(self.last_nid, nid)
        try:
            record = decode_stored(row)
        except (RecordFormatError, TypeError, ValueError) as exc:  # columns of other types
            self.fail(str(row.originator_id), row.originator_version, nid, f"unreadable: {exc}")
            if row.topic == "BatchSealed":
                self._orphan_batch("its batch's seal is unreadable")
            else:  # a receipt whose topic column was edited too
                self.unreadable_receipts += 1
            return
        stream, version = str(record.stream), record.version
        try:
            self._check(record, nid)
        except (AuditFailure, LookupError, TypeError, ValueError, AttributeError) as exc:
            self.fail(stream, version, nid, str(exc))
            if record.type == "BatchSealed" and self.batch:
                self._orphan_batch("its batch's seal is damaged")

    def _orphan_batch(self, why: str) -> None:
        for _, r, row_nid in self.batch:
            self.fail(str(r.stream), r.version, row_nid, f"not verifiable: {why}",
                      consequence=True)
        self.batch = []

    def _check(self, record: Record, nid: int) -> None:
        if canonical_bytes(stored_body(record)) != record.raw:
            raise AuditFailure("stored bytes are not in canonical form (altered?)")
        if record.type not in EVENT_TYPES:
            raise AuditFailure(f"unknown event type {record.type!r}")
        try:
            record.event()  # upcast to the current class version, once the bytes are checked
        except TypeError as exc:
            raise AuditFailure(f"event data does not fit {record.type}: {exc}") from None
        if record.type == "BatchSealed":
            self._seal(record, nid)
            return
        self.batch.append((record.hash, record, nid))
        if record.type in KEY_EVENTS:
            if record.cause is not None and record.type in ENDINGS:
                # A rotation or revocation ends a key at the very moment its command was
                # signed; apply it only after that command's own signature was checked.
                self.pending_endings.hold(str(record.cause.get("command_id")), record)
            else:
                self.keys.apply(record)
        if record.cause is not None:
            self.causes.setdefault(str(record.cause.get("command_id")), []).append((record, nid))
        if record.type == "CommandRecorded":
            self._receipt(record)

    def _seal(self, record: Record, nid: int) -> None:
        self.report.batches += 1
        data = record.data
        batch, self.batch = self.batch, []
        hashes = [h for h, _, _ in batch]
        key = self.keys.ledger.keys.get(data["key_id"])
        if key is None:
            raise AuditFailure(f"sealed with {data['key_id']}, which is not a registered"
                               " ledger key")
        if self.keys.ledger.is_retired(data["key_id"]):
            raise AuditFailure(f"sealed with ledger key {data['key_id']} after it was retired")
        message = seal_message(data["lane"], record.version, record.prev, list(data["events"]),
                               data["key_id"], record.at)
        try:
            verify(key[0], key[1], message, b64decode(data["signature"], what="seal"))
        except (InvalidSignatureError, ValueError):
            raise AuditFailure("ledger seal signature does not verify") from None
        sealed = list(data["events"])
        if sealed == hashes:
            return
        # Point at the rows themselves: an altered or inserted row is the place to look.
        sealed_set = set(sealed)
        for h, r, row_nid in batch:
            if h not in sealed_set:
                self.fail(str(r.stream), r.version, row_nid,
                          "altered or inserted: its hash is not among those the ledger sealed")
        present = set(hashes)
        missing = [h for h in sealed if h not in present]
        if missing:
            raise AuditFailure(f"{len(missing)} event(s) this seal covers are missing or altered")
        if sorted(sealed) == sorted(hashes):
            raise AuditFailure("the batch's rows are not in the order the ledger sealed them")

    def _receipt(self, record: Record) -> None:
        self.report.commands += 1
        data = record.data
        command = data["command"]
        command_id = data["command_id"]
        caused = self.causes.pop(command_id, [])
        try:
            self.keys.verify_command(command, record.at)
        except AuditFailure as exc:
            raise AuditFailure(f"command {command_id}: {exc}") from None
        finally:
            for ending in self.pending_endings.release(command_id):
                self.keys.apply(ending)
        digest = sha256_hex(signing_bytes(command))
        if digest != data["digest"]:
            raise AuditFailure(f"command {command_id}: digest does not match the stored command")
        expected = {(str(s), int(v)) for s, v in data["events"]}
        seen = {(str(r.stream), r.version) for r, _ in caused if r.type != "CommandRecorded"}
        if expected != seen:
            raise AuditFailure(f"command {command_id}: receipt lists events {sorted(expected)[:3]}…"
                           f" but the rows it caused are {sorted(seen)[:3]}…")
        for caused_record, _ in caused:
            cause = caused_record.cause or {}
            if (cause.get("actor"), cause.get("key_id"), cause.get("signature")) != (
                command["actor"], command["key_id"], command["signature"]
            ):
                raise AuditFailure(f"event {caused_record.stream}/{caused_record.version} names"
                               f" command {command_id} but not its signer or signature")

    def finish(self) -> None:
        # Behind unreadable storage, a batch's seal or a command's receipt may simply be
        # unread: knock-on effects of the damage, listed after it.
        unread = any(e.stream == "storage" for e in self.report.errors)
        for _, record, nid in self.batch:
            self.fail(str(record.stream), record.version, nid,
                      "not covered by any ledger seal (the seal row is missing)", unread)
        self.batch = []
        for command_id, caused in self.causes.items():
            record, nid = caused[0]
            self.fail(str(record.stream), record.version, nid,
                      f"caused by command {command_id}, whose receipt is missing (expected at"
                      f" stream {receipt_stream(command_id)} version 1)",
                      consequence=self.unreadable_receipts > 0 or unread)
        self.report.ledger_keys = sorted(self.keys.ledger.keys)
        self.report.errors.sort(key=lambda e: (e.consequence, e.notification_id))



Progress = Callable[[str, int], None]
"""(phase, rows done in that phase)"""


def audit_rows(rows: Iterable[tuple[int, Any]], progress: Progress | None = None) -> AuditReport:
    """Audit rows held in memory (both passes over the one list)."""
    held = list(rows)
    return Auditor().run(held, lambda until: in_stream_order(r for r in held if r[0] <= until),
                         progress)


Observer = Callable[[Iterator[tuple[int, Any]]], Iterator[tuple[int, Any]]]


def audit_store(store: Any, progress: Progress | None = None,
                observe: Observer | None = None) -> AuditReport:
    """Audit an :class:`~ledger.store.event_store.EventStore` reading it twice, in memory
    that does not grow with the ledger; ``observe`` sees the first pass's rows (the
    checkpoint audit)."""
    sqlite = store.url.startswith("sqlite")
    auditor = Auditor()
    rows = readable_rows(store.recorder, sqlite, auditor.damaged_row)
    return auditor.run(observe(rows) if observe else rows,
                       lambda until: rows_by_stream(store.recorder, sqlite, until), progress)
