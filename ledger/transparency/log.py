"""The transparency log: every stored event as a Merkle leaf, proofs, signed checkpoints.

Leaf ``i`` is the ``i``-th stored event in global order, counted densely: PostgreSQL's
notification ids have gaps (a rolled-back insert still consumes its sequence numbers),
so the leaf table maps each leaf index to the notification id it came from. Rows are
read without a topic filter, so no event type, known or future, can be skipped.

Checkpoints are ledger events (``CheckpointPublished`` on the seal lane
``transparency``): durable, sealed, audited, exported and backed up with everything
else. Each becomes a later leaf of the log it describes. The log only prepares them
(:meth:`TransparencyLog.prepare_checkpoint`); the bus writes them (a :data:`Publish`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final
from uuid import UUID

from ledger.domain import streams
from ledger.errors import LedgerError
from ledger.integrity.ledger_keys import LedgerKeyHistory
from ledger.integrity.signing import b64encode
from ledger.store.application import Ledger
from ledger.store.event_store import EventStore
from ledger.store.own_write import OwnWrite
from ledger.store.sql import ProjectionDB
from ledger.transparency.checkpoint import (
    Checkpoint,
    CheckpointError,
    from_event,
    log_origin,
    sign_checkpoint,
)
from ledger.transparency.merkle import MerkleTree, hash_leaf
from ledger.transparency.sealed_rows import SEAL_TOPIC, SealMismatch, sealed_prefix

LANE: Final = "transparency"
PAGE: Final = 5000
MAX_UNSEALED: Final = 320_000  # rows read to find one batch's seal before calling it damage
LEAVES_TABLE: Final = "transparency_leaves"
LEAVES_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS transparency_leaves (leaf_index BIGINT PRIMARY KEY,"
    " notification_id BIGINT NOT NULL UNIQUE, leaf_hash TEXT NOT NULL)"
)
# Rows a checkpoint publication itself writes; they alone do not call for a new one.
_QUIET_STREAMS: Final = frozenset(
    {streams.checkpoint_stream(), streams.seal_stream(LANE), streams.ledger_keys_stream()})
# Publishes a checkpoint of a log at an instant, through the bus (the composition root
# wires it: commands/bootstrap.py); answers (checkpoint, whether it is new).
Publish = Callable[["TransparencyLog", str], tuple[Checkpoint, bool]]


class LogRangeError(LedgerError):
    """A leaf index or tree size outside the log as it stands."""

    code = "out_of_range"


class LeafTableError(LedgerError):
    """The leaf table says something the stored events do not: the ledger will not prove a
    leaf or sign a size from it."""

    code = "log_mismatch"


_STALE: Final = ("events were removed from the ledger (run `ledger audit`), or the leaf table"
                 " is stale (if the audit passes, drop transparency_leaves to rebuild it)")


def stored_leaves(db: ProjectionDB) -> Iterator[tuple[int, int, str]]:
    """(leaf index, notification id, leaf hash hex) of every row of the leaf table, in leaf
    order, a page at a time; nothing if the table was never built. For the audit, which
    proves the table equal to the events it reads."""
    if not db.table_exists("transparency_leaves"):
        return
    bound = db.query("SELECT MAX(leaf_index) FROM transparency_leaves")[0][0]
    start = 0
    while bound is not None and start <= int(bound):
        rows = db.query("SELECT leaf_index, notification_id, leaf_hash FROM"
                        " transparency_leaves WHERE leaf_index >= ? AND leaf_index <= ?"
                        " ORDER BY leaf_index LIMIT ?", [start, int(bound), PAGE])
        if not rows:
            return
        for index, nid, leaf_hash in rows:
            yield int(index), int(nid), str(leaf_hash)
        start = int(rows[-1][0]) + 1


class TransparencyLog:
    """Keeps the dense leaf table up to date and serves the tree, proofs and checkpoints."""

    def __init__(self, store: EventStore, db: ProjectionDB) -> None:
        self.store = store
        self.db = db
        self._tree = MerkleTree()
        self._ready = False

    def _prepare(self) -> None:
        if not self._ready:
            with self.db.transaction():
                self.db.create_table(LEAVES_DDL)
            self._ready = True

    # -- the leaf table ------------------------------------------------------------------
    def catch_up(self) -> int:
        """Append a leaf for every event stored since the last call; returns leaves added."""
        self._prepare()
        added, size = 0, PAGE
        count, last_nid = self._position()
        self._check_last_leaf(count, last_nid)
        # A table written by older software may end inside a batch; ours end with a seal.
        resumed = count > 0 and not self._is_seal(last_nid)
        while True:
            count, last_nid = self._position()
            rows = self.store.recorder.select_notifications(last_nid + 1, size)
            try:  # only rows their batch's seal lists (sealed_rows.py)
                covered = sealed_prefix(rows, resumed)
            except SealMismatch as exc:
                raise LeafTableError(exc.message) from None
            resumed = False
            if not covered:
                if len(rows) < size:  # nothing, or the newest rows before their seal
                    return added
                if size >= MAX_UNSEALED:
                    raise LeafTableError(f"no seal within {size} rows after event id"
                                         f" {last_nid}: the history is damaged (run"
                                         " `ledger audit`)")
                size *= 4  # one batch longer than a page
                continue
            size = PAGE
            leaves = [(count + i, row.id, hash_leaf(bytes(row.state)).hex())
                      for i, row in enumerate(rows[:covered])]
            # A concurrent catch-up computes the same rows (the numbering is a function
            # of the log), so a conflict means the rows are already there.
            with self.db.transaction():
                self.db.executemany("INSERT INTO transparency_leaves (leaf_index,"
                                    " notification_id, leaf_hash) VALUES (?, ?, ?)"
                                    " ON CONFLICT DO NOTHING", leaves)
            added += len(leaves)

    def _is_seal(self, nid: int) -> bool:
        rows = self.store.recorder.select_notifications(nid, 1)
        return bool(rows) and rows[0].id == nid and rows[0].topic == SEAL_TOPIC

    def _position(self) -> tuple[int, int]:
        # Both maxima come from indexes; COUNT(*) would scan the whole table each page.
        row = self.db.query("SELECT MAX(leaf_index), MAX(notification_id)"
                            " FROM transparency_leaves")
        return (-1 if row[0][0] is None else int(row[0][0])) + 1, int(row[0][1] or 0)

    def _check_last_leaf(self, count: int, last_nid: int) -> None:
        """The table's last leaf is still the event it was made from (else the table would
        grow on from a history that is no longer there)."""
        if count == 0:
            return
        rows = self.store.recorder.select_notifications(last_nid, 1)
        leaf_nid, leaf_hash = self.leaf(count - 1)
        if leaf_nid != last_nid:
            raise LeafTableError(f"the transparency leaf table's last leaf {count - 1} is not"
                                 f" its highest event id {last_nid}: {_STALE}")
        if not rows or rows[0].id != last_nid:
            raise LeafTableError(
                f"leaf {count - 1} of the transparency log is event {last_nid}, which the"
                f" ledger no longer holds (it holds {self.store.max_notification_id()} as its"
                f" highest event id): {_STALE}")
        if hash_leaf(bytes(rows[0].state)) != leaf_hash:
            raise LeafTableError(f"leaf {count - 1} of the transparency log does not hash"
                                 f" the bytes now stored for event {last_nid}: {_STALE}")

    def check_held(self) -> int:
        """Raise :class:`LeafTableError` unless the leaf table is the event log up to its last
        leaf: as many leaves as stored events up to that event, and that event still the
        same bytes. Returns the number of leaves. Proofs and checkpoints call this first."""
        count, last_nid = self._position()
        self._check_last_leaf(count, last_nid)
        held = self._events_up_to(last_nid)
        if held != count:
            raise LeafTableError(
                f"the transparency leaf table has {count} leaves for the events up to id"
                f" {last_nid}, but the ledger holds {held} such events: {_STALE}")
        return count

    def _events_up_to(self, nid: int) -> int:
        return self.store.count_up_to(nid)

    @property
    def size(self) -> int:
        """Leaves in the table (call :meth:`catch_up` first for the current log)."""
        self._prepare()
        return self._position()[0]

    def tree(self) -> MerkleTree:
        """The Merkle tree over every leaf in the table, extended incrementally, once the
        table is shown to hold exactly the stored events (:meth:`check_held`)."""
        self._prepare()
        held = self.check_held()
        if held < self._tree.size:  # the table shrank under this object: start again
            self._tree = MerkleTree()
        start = self._tree.size
        rows = self.db.query("SELECT leaf_index, leaf_hash FROM transparency_leaves"
                             " WHERE leaf_index >= ? ORDER BY leaf_index", [start])
        for expected, (index, leaf_hash) in enumerate(rows, start):
            if index != expected:
                raise LeafTableError(f"the transparency leaf table skips from leaf"
                                     f" {expected - 1} to {index}; rebuild it (drop"
                                     " transparency_leaves)")
            self._tree.append(bytes.fromhex(leaf_hash))
        return self._tree

    def leaf(self, index: int) -> tuple[int, bytes]:
        """(notification id, leaf hash) of leaf ``index``."""
        rows = self.db.query("SELECT notification_id, leaf_hash FROM transparency_leaves"
                             " WHERE leaf_index = ?", [index])
        if not rows:
            raise LogRangeError(f"leaf {index} is not in the log (it has {self.size} leaves)")
        return int(rows[0][0]), bytes.fromhex(rows[0][1])

    # -- proofs --------------------------------------------------------------------------
    def inclusion(self, index: int, size: int) -> dict[str, Any]:
        """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves, as JSON."""
        tree = self.tree()
        if not 0 < size <= tree.size:
            raise LogRangeError(f"tree size {size} is outside 1..{tree.size} (the log's size)")
        if not 0 <= index < size:
            raise LogRangeError(f"leaf index {index} is outside 0..{size - 1} for a tree of"
                                f" {size} leaves")
        nid, leaf_hash = self.leaf(index)
        rows = self.store.recorder.select_notifications(nid, 1)
        if not rows or rows[0].id != nid or hash_leaf(bytes(rows[0].state)) != leaf_hash:
            raise LeafTableError(f"leaf {index} of the transparency log (event {nid}) is not"
                                 f" an event the ledger holds with those bytes: {_STALE}")
        return {"leaf_index": index, "tree_size": size, "leaf_hash": b64encode(leaf_hash),
                "root": b64encode(tree.root(size)), "notification_id": nid,
                "proof": [b64encode(h) for h in tree.inclusion_proof(index, size)]}

    def consistency(self, size1: int, size2: int) -> dict[str, Any]:
        """The consistency proof from the tree of ``size1`` leaves to ``size2``, as JSON."""
        tree = self.tree()
        if not 0 < size1 <= size2 <= tree.size:
            raise LogRangeError(f"need 0 < from <= to <= {tree.size} (the log's size); got"
                                f" from {size1}, to {size2}")
        return {"size1": size1, "size2": size2, "root1": b64encode(tree.root(size1)),
                "root2": b64encode(tree.root(size2)),
                "proof": [b64encode(h) for h in tree.consistency_proof(size1, size2)]}

    # -- checkpoints ---------------------------------------------------------------------
    def checkpoints(self) -> list[Checkpoint]:
        """Every published checkpoint, oldest first (read from the ledger itself)."""
        return [from_event(r.data) for r in self.store.read_stream(streams.checkpoint_stream())]

    def latest(self) -> Checkpoint | None:
        """The latest published checkpoint, if any."""
        record = self.store.last_of_stream(streams.checkpoint_stream())
        return from_event(record.data) if record else None

    def prepare_checkpoint(self, ledger: Ledger, at: str) -> OwnWrite[tuple[Checkpoint, bool]]:
        """A checkpoint of the whole log, signed, with the events that record it (on the
        seal lane ``transparency``), unless nothing but checkpoints were added since the
        latest: then no events and the latest. The answer: (checkpoint, whether it is
        new). The bus writes the events (commands/bus/own_writes.py) and, if another
        process published meanwhile, asks again."""
        self.catch_up()
        latest = self.latest()
        tree = self.tree()
        if latest is not None:
            self._check_against(latest, tree)
            if not self._grown_since(latest.size, tree.size):
                return OwnWrite((latest, False))
        # The prefix is the one the latest checkpoint signed (its root matched); every
        # leaf after it is hashed again from the events before the ledger signs it.
        self._check_leaves(0 if latest is None else latest.size, tree)
        if tree.size == 0:
            raise LogRangeError("the ledger has no events yet: there is nothing to"
                                " checkpoint")
        checkpoint = sign_checkpoint(self._origin(ledger), tree.size, tree.root(), at,
                                     ledger.signer)
        registration = ledger.ledger_key_registration(at)
        events = (() if registration is None else (registration,)) + (
            (streams.checkpoint_stream(), checkpoint.to_event()),)
        return OwnWrite((checkpoint, True), events, LANE)

    def _check_against(self, latest: Checkpoint, tree: MerkleTree) -> None:
        if latest.size > tree.size or tree.root(latest.size) != latest.root:
            raise CheckpointError(
                f"the log no longer matches its latest checkpoint (size {latest.size}): the"
                " stored events were altered or the leaf table is stale; run `ledger audit`")

    def _check_leaves(self, start: int, tree: MerkleTree) -> None:
        """Leaves ``start``.. of the table are the stored events, hash for hash."""
        if start >= tree.size:
            return
        nid, _ = self.leaf(start)
        index = start
        for row in self.store.iter_rows(nid):
            if index >= tree.size:
                break
            if hash_leaf(bytes(row[1].state)) != tree.leaf(index):
                raise LeafTableError(f"leaf {index} of the transparency log is not the hash of"
                                     f" the event stored at id {row[0]}: {_STALE}")
            index += 1
        if index < tree.size:
            raise LeafTableError(f"the transparency log has {tree.size} leaves but the ledger"
                                 f" holds only {index} events: {_STALE}")

    def _grown_since(self, size: int, current: int) -> bool:
        if current - size > 16:
            return True
        if current == size:
            return False
        first_nid, _ = self.leaf(size)
        rows = self.store.recorder.select_notifications(first_nid, current - size)
        return any(UUID(str(r.originator_id)) not in _QUIET_STREAMS for r in rows)

    def _origin(self, ledger: Ledger) -> str:
        first = LedgerKeyHistory.of(self.store.read_stream(streams.ledger_keys_stream())).first
        return log_origin(first or ledger.signer.key_id)  # or registered in this very batch

