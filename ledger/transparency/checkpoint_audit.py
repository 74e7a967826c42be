"""Audit of the transparency log: every checkpoint against the events and the one before.

While ``ledger audit`` streams the rows, this auditor hashes each row's stored bytes into
a leaf (leaf ``i`` is the ``i``-th row) and, at each ``CheckpointPublished``, checks that

* its signature verifies with a registered, not yet retired ledger key;
* its origin is the log's (fixed by the first ledger key) and never changes;
* it covers no more leaves than precede it in the log;
* it does not shrink the log: its size is at least the previous checkpoint's;
* its root equals the root recomputed from the stored events at its size.

Both roots of two consecutive checkpoints are recomputed from one leaf sequence, so
passing the last two checks means the later tree extends the earlier one: a stronger
statement than any consistency proof, which only shows that *some* such sequence exists.

Memory stays small: a compact range (one hash per complete subtree) at the previous
checkpoint's size plus the leaf hashes after it, 32 bytes each, capped at ``WINDOW``.

Checkpoints are themselves events on the log, so a cut of the tail that takes whole
batches, checkpoints and all, leaves a shorter history that is consistent in itself.
Only a checkpoint kept outside the ledger shows it: given one (``ledger audit
--checkpoint``), the auditor checks its signature against the key history and the root it
recomputes from the events at that size (:class:`HeldCheckpoint`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from ledger.integrity.audit_damage import STORAGE_ERRORS
from ledger.integrity.audit_report import AuditError, AuditReport
from ledger.integrity.canonical import parse_instant
from ledger.integrity.ledger_keys import LedgerKeyHistory
from ledger.transparency.checkpoint import (
    Checkpoint,
    CheckpointError,
    from_event,
    log_origin,
    verify_checkpoint,
)
from ledger.transparency.merkle import EMPTY_ROOT, HASH_SIZE, CompactRange, hash_leaf

WINDOW: Final = 1 << 20
"""Leaves kept after the last checkpoint (32 MB): a checkpoint may lag its own position by
this many (it lags by the events written while it was being signed: a few, not a million)."""


def _not_after(retired: str, time: str) -> bool:
    """``retired`` is not after ``time`` (a retirement time that is not an instant is the
    retirement row's problem, which the rest of the audit reports)."""
    try:
        return parse_instant(retired) <= parse_instant(time)
    except (ValueError, TypeError, OverflowError):
        return False


def _state(value: Any) -> bytes:
    """A row's stored bytes; a column edited to hold something else (NULL, text, a number)
    still makes a leaf, so the leaves after it keep their places (the audit reports it)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return b"" if value is None else str(value).encode()


@dataclass
class HeldCheckpoint:
    """A checkpoint kept by a third party, and what the audit found about it."""

    checkpoint: Checkpoint
    root: bytes | None = None  # recomputed from the events, once the log reaches its size
    problems: list[str] = field(default_factory=list)
    events: int = 0  # events the ledger holds

    @property
    def ok(self) -> bool:
        """The signature verifies and the current history extends the checkpoint."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """What the audit's JSON says about the held checkpoint."""
        c = self.checkpoint
        out: dict[str, Any] = {"ok": self.ok, "size": c.size, "time": c.time,
                               "key_id": c.key_id, "events": self.events}
        if self.problems:
            out["problems"] = list(self.problems)
        return out


class CheckpointAuditor:
    """Checks checkpoints while rows stream past; see the module docstring."""

    def __init__(self, held: Checkpoint | None = None,
                 leaf_table: Iterator[tuple[int, int, str]] | None = None) -> None:
        """Start before the first row; ``held`` is an outside party's checkpoint, if any;
        ``leaf_table`` the rows of the transparency leaf table (index, event id, hash hex),
        which must be the events' leaves (proofs and checkpoints are served from it)."""
        self._table = leaf_table
        self.held = None if held is None else HeldCheckpoint(held)
        if held is not None and held.size == 0:
            self.held = HeldCheckpoint(held, EMPTY_ROOT)
        self._last_nid = 0
        self.leaves = 0
        self.checkpoints = 0
        self.errors: list[AuditError] = []
        self._anchor = CompactRange()
        self._pending = bytearray()
        self._history = LedgerKeyHistory()
        self._origin: str | None = None
        self._previous: Checkpoint | None = None

    def observe(self, rows: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        """Pass rows through unchanged, checking them on the way (to share one read)."""
        for nid, row in rows:
            self.row(nid, row)
            yield nid, row

    def row(self, nid: int, row: Any) -> None:
        """Take the next stored row of the log."""
        topic = row.topic
        if topic in ("LedgerKeyRegistered", "LedgerKeyRetired", "CheckpointPublished"):
            try:
                self._special(nid, row)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                self._fail(nid, row, f"unreadable {topic} ({exc})")
            except CheckpointError as exc:
                self._fail(nid, row, exc.message)
        leaf = hash_leaf(_state(row.state))
        if self._table is not None:
            self._compare_leaf(nid, row, leaf)
        self._pending += leaf
        self.leaves += 1
        self._last_nid = nid
        if self.held is not None and self.leaves == self.held.checkpoint.size:
            self.held.root = self._root_now()
        if len(self._pending) > WINDOW * HASH_SIZE:
            self._advance(self._anchor.size + len(self._pending) // HASH_SIZE - WINDOW)

    def _special(self, nid: int, row: Any) -> None:
        # The stored bytes alone, not the row's columns: a checkpoint moved to another row
        # must still be judged by what it says.
        body = orjson.loads(_state(row.state))
        data = body["data"]
        if row.topic == "LedgerKeyRegistered":
            self._history.register(data)
        elif row.topic == "LedgerKeyRetired":
            self._history.retire(data["key_id"], str(body["at"]))
        else:
            self._checkpoint(nid, row, from_event(data))

    def _checkpoint(self, nid: int, row: Any, checkpoint: Checkpoint) -> None:
        self.checkpoints += 1
        size, where = checkpoint.size, f"checkpoint of size {checkpoint.size}"
        if self._history.is_retired(checkpoint.key_id):
            self._fail(nid, row, f"{where} is signed by ledger key {checkpoint.key_id} after"
                       " that key was retired")
        verify_checkpoint(checkpoint, self._history.keys)
        first = self._history.first
        if self._origin is None and first is not None:
            self._origin = log_origin(first)
        if checkpoint.origin != self._origin:
            self._fail(nid, row, f"{where} names the log {checkpoint.origin!r}; this log is"
                       f" {self._origin!r}")
        previous = self._previous
        if previous is not None and size < previous.size:
            self._fail(nid, row, f"{where} follows one of size {previous.size}: the log would"
                       " have shrunk (not consistent with the previous checkpoint)")
            return
        self._previous = checkpoint
        if size > self.leaves:
            self._fail(nid, row, f"{where} claims more leaves than the {self.leaves} events"
                       " that precede it in the log")
            return
        if size < self._anchor.size:
            self._fail(nid, row, f"{where} lags its own position by more than {WINDOW} leaves;"
                       " it cannot be checked while streaming")
            return
        self._advance(size)
        if self._anchor.root() != checkpoint.root:
            self._fail(nid, row, f"{where}: its root does not match the root recomputed from"
                       " the stored events (history was altered, or the checkpoint forged)")

    def _compare_leaf(self, nid: int, row: Any, leaf: bytes) -> None:
        entry = self._next_table_leaf()
        if entry is None:  # the table lags the events: the ledger catches it up first
            return
        if entry != (self.leaves, nid, leaf.hex()):
            index, table_nid, table_hash = entry
            said, held = _apart(str(table_hash), leaf.hex())
            self._fail(nid, row, f"the transparency leaf table says leaf {index} is event id"
                       f" {table_nid} hashing to {said}, but leaf {self.leaves}"
                       f" is event id {nid} hashing to {held}: the table is not"
                       " the events (drop transparency_leaves to rebuild it)")
            self._table = None

    def _next_table_leaf(self) -> tuple[int, int, str] | None:
        assert self._table is not None
        try:
            return next(self._table)
        except StopIteration:
            pass
        except STORAGE_ERRORS as exc:
            self.errors.append(AuditError("transparency leaves", self.leaves, self._last_nid,
                               f"the transparency leaf table cannot be read: {exc}"))
        self._table = None
        return None

    def _finish_table(self) -> None:
        """Leaves beyond the events: the history lost its end after the table was built."""
        entry = None if self._table is None else self._next_table_leaf()
        if entry is not None:
            index, nid, _ = entry
            self.errors.append(AuditError(
                "transparency leaves", index, nid,
                f"the transparency leaf table holds leaf {index} (event id {nid}), but the"
                f" ledger holds only {self.leaves} events, the last at id {self._last_nid}:"
                " events were removed from the end of the history (a tail cut), or leaves"
                " were added to the table by hand"))
        self._table = None

    def _root_now(self) -> bytes:
        """The root over every leaf seen so far (the compact range plus the buffer)."""
        now = self._anchor.copy()
        for i in range(0, len(self._pending), HASH_SIZE):
            now.append(bytes(self._pending[i:i + HASH_SIZE]))
        return now.root()

    def _judge_held(self, held: HeldCheckpoint) -> None:
        """Signature, origin, key retirement, then: does the history extend it?"""
        c, held.events = held.checkpoint, self.leaves
        try:
            verify_checkpoint(c, self._history.keys)
        except CheckpointError as exc:
            held.problems.append(f"held {exc.message} (a ledger key missing from the history"
                                 " may have been cut away with it)")
        retired = self._history.retired.get(c.key_id)
        if retired is not None and _not_after(retired, c.time):
            held.problems.append(f"held checkpoint of size {c.size} is dated {c.time}, after"
                                 f" its key {c.key_id} was retired at {retired}")
        first = self._history.first
        origin = self._origin or (log_origin(first) if first is not None else None)
        if c.origin != origin:
            held.problems.append(f"held checkpoint names the log {c.origin!r}; this log is"
                                 f" {origin!r}")
        if self.leaves < c.size:
            held.problems.append(
                f"the ledger holds {self.leaves} events but the held checkpoint signed"
                f" {c.size}: the events at positions {self.leaves}.."
                f"{c.size - 1} are missing (the history was cut after event id"
                f" {self._last_nid})")
        elif held.root != c.root:
            held.problems.append(
                f"the first {c.size} events do not hash to the held checkpoint's root: history"
                f" before position {c.size} was altered or replaced since it was signed")

    def _advance(self, size: int) -> None:
        """Move the compact range forward to ``size`` leaves, dropping buffered ones."""
        count = size - self._anchor.size
        for i in range(count):
            self._anchor.append(bytes(self._pending[i * HASH_SIZE:(i + 1) * HASH_SIZE]))
        del self._pending[:count * HASH_SIZE]

    def _fail(self, nid: int, row: Any, reason: str) -> None:
        self.errors.append(AuditError(str(row.originator_id), row.originator_version, nid,
                                      reason))

    def fold_into(self, report: AuditReport) -> None:
        """Add this auditor's problems to ``report``, keeping it in log order; the held
        checkpoint's come last, placed at the leaf where the history stops agreeing."""
        self._finish_table()
        report.errors.extend(self.errors)
        report.errors.sort(key=lambda e: (e.consequence, e.notification_id))
        if self.held is not None:
            self._judge_held(self.held)
            where = min(self.leaves, self.held.checkpoint.size)
            report.errors.extend(AuditError("held checkpoint", where, self._last_nid, p)
                                 for p in self.held.problems)

    def summary(self) -> dict[str, Any]:
        """For the audit's JSON: checkpoints verified, and the held checkpoint's result."""
        out: dict[str, Any] = {"checkpoints": self.checkpoints}
        if self.held is not None:
            out["held_checkpoint"] = self.held.to_json()
        return out


def _apart(a: str, b: str) -> tuple[str, str]:
    """Two hashes shortened to 16 digits, or whole when those would read the same."""
    if a[:16] != b[:16]:
        return f"{a[:16]}…", f"{b[:16]}…"
    return a, b
