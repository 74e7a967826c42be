"""``ledger audit --replay``: re-derive every stored event from the signed commands.

The plain audit proves that the stored rows are the ones the ledger key sealed. Whoever
holds that key could still re-seal a rewritten history. The replay closes that gap: it
re-executes each command kept in a receipt, in the stored order, with the stored time and
in the stored batches, through the very bus and handlers that accepted it, on a scratch
ledger (a temporary SQLite file), and compares the events it produces byte for byte with
the stored ones (hash chain links included). Only the seals differ (the scratch ledger
signs with a throw-away key); a seal is checked to list exactly the replayed hashes.

The inputs a handler takes from outside its command are all recorded and fed back:
the batch's instant (every stored event's ``at``), the batch boundaries and lane (the
seals), and what the ledger writes by itself (:data:`LEDGER_OWN`), which is copied into the
scratch ledger verbatim. Everything else a handler uses is in the signed command.
See docs/integrity.md, "Replay".
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from commands.bus.pipeline import MessageBus, Result
from commands.bus.prefetch import streams_of
from commands.replay.report import Divergence, ReplayReport, first_difference
from commands.signed.envelope import SignedCommand, decode_envelope
from ledger.domain import streams
from ledger.domain.upcasting import upcast
from ledger.errors import LedgerError
from ledger.integrity.canonical import canonical_bytes, parse_instant
from ledger.integrity.mapper import Record, RecordFormatError, decode_stored, stored_body
from ledger.integrity.signing import SigningKey
from ledger.store.application import Ledger, UnitOfWork
from ledger.store.event_store import EventStore

# What the ledger writes by itself, with no command behind it: (type, stream) pairs.
# Seals close each batch and are checked against the replayed hashes instead.
LEDGER_OWN = frozenset({
    ("LedgerKeyRegistered", streams.ledger_keys_stream()),
    ("LedgerKeyRetired", streams.ledger_keys_stream()),
    ("CheckpointPublished", streams.checkpoint_stream()),
})
SEAL = "BatchSealed"
# A batch is one transaction of at most LEDGER_BATCH_SIZE commands (a few events each);
# rows without a seal beyond this are a damaged history, not a batch to hold in memory.
MAX_BATCH_ROWS = 200_000
REPLAY_CACHE_SIZE = 20_000  # stream states the scratch ledger keeps (bounded memory)

Progress = Callable[[int], None]
Row = tuple[int, Record]


class _Diverged(Exception):
    def __init__(self, divergence: Divergence) -> None:
        super().__init__(divergence.reason)
        self.divergence = divergence


def _at(nid: int, record: Record, kind: str, reason: str) -> _Diverged:
    return _Diverged(Divergence(str(record.stream), record.version, nid, kind, reason))


def _keep(_state: Any, evt: Any) -> Any:
    return evt  # the bus and the checkpoint publisher keep the last event of these streams


def _field(record: Record, name: str) -> Any:
    """A field of the event's data; None when the data is not even an object."""
    return record.data.get(name) if isinstance(record.data, dict) else None


class ReplayBus(MessageBus):
    """The ledger's own bus, driven one recorded command at a time."""

    def replay(self, uow: UnitOfWork, signed: SignedCommand, now: datetime) -> Result:
        return self.apply(uow, signed, now)


class Replayer:
    """Replays stored batches onto a scratch ledger and compares what comes out."""

    def __init__(self, scratch: Ledger) -> None:
        self.scratch = scratch
        self.bus = ReplayBus(scratch)
        self.report = ReplayReport()
        # stored hash -> its replayed twin's, for stream heads whose bytes differ on replay
        # only by upcasting (one entry a stream at most: see _upcast_equal)
        self.links: dict[str, str] = {}

    def batch(self, rows: list[Row]) -> None:
        """Replay one stored batch (its rows in order, its seal last)."""
        *body, (seal_nid, seal) = rows
        try:
            now = parse_instant(seal.at)
        except ValueError as exc:
            raise _at(seal_nid, seal, "unreadable", f"the seal's time: {exc}") from None
        uow = self.scratch.begin(seal.at, str(_field(seal, "lane")))
        receipts = self._receipts(body)
        self.scratch.prefetch([streams.registry_stream()] + [
            s for _, signed in receipts.values() for s in streams_of(signed)])
        done: set[str] = set()
        for nid, record in body:
            if record.cause is None:
                self._ledger_own(uow, nid, record)
                continue
            if not isinstance(record.cause, dict):
                raise _at(nid, record, "no_command", "its cause is not a command's")
            command_id = str(record.cause.get("command_id"))
            if command_id in done:
                continue
            if command_id not in receipts:
                raise _at(nid, record, "no_command",
                          f"{record.type} names command {command_id}, but no receipt of that"
                          " command is in its batch: no signed command stands behind it")
            self._command(uow, nid, record, receipts[command_id][1], now)
            done.add(command_id)
        ids = uow.commit() if body else []
        self._compare(body, self._replayed(ids), seal_nid, seal, receipts)
        self.report.batches += 1
        self.report.events += len(rows)

    def _receipts(self, body: list[Row]) -> dict[str, tuple[int, SignedCommand]]:
        found: dict[str, tuple[int, SignedCommand]] = {}
        for nid, record in body:
            if record.type != "CommandRecorded":
                continue
            try:
                signed = decode_envelope(_field(record, "command"))
            except (LedgerError, KeyError, TypeError, ValueError, AttributeError) as exc:
                raise _at(nid, record, "receipt",
                          f"the receipt's command cannot be decoded: {exc}") from None
            if signed.command_id in found or signed.command_id != _field(record, "command_id"):
                raise _at(nid, record, "receipt", f"receipt of command {signed.command_id}"
                          " is repeated or names another command id")
            found[signed.command_id] = (nid, signed)
        return found

    def _ledger_own(self, uow: UnitOfWork, nid: int, record: Record) -> None:
        if (record.type, record.stream) not in LEDGER_OWN:
            raise _at(nid, record, "no_command",
                      f"{record.type} has no command behind it and is not one the ledger"
                      " writes by itself")
        try:
            evt = record.event()
        except (KeyError, TypeError, ValueError) as exc:
            raise _at(nid, record, "unreadable", f"{record.type} does not decode: {exc}") from None
        uow.emit(record.stream, _keep, evt, None)
        self.report.ledger_events += 1

    def _command(self, uow: UnitOfWork, nid: int, record: Record,
                 signed: SignedCommand, now: datetime) -> None:
        result = self.bus.replay(uow, signed, now)
        self.report.commands += 1
        if result.duplicate:
            raise _at(nid, record, "diverged", f"command {signed.command_id} was already"
                      " applied earlier in the history; its id cannot be replayed twice")
        if not result.events:
            raise _at(nid, record, "diverged",
                      f"command {signed.command_id} ({signed.type}) is refused on replay"
                      f" ({result.code}: {result.message}), yet its events are stored")

    def _replayed(self, ids: list[int]) -> list[Record]:
        if not ids:
            return []
        rows = self.scratch.store.recorder.select_notifications(ids[0], len(ids))
        return [decode_stored(r) for r in rows][:-1]  # the scratch seal is not compared

    def _compare(self, body: list[Row], replayed: list[Record], seal_nid: int, seal: Record,
                 receipts: dict[str, tuple[int, SignedCommand]]) -> None:
        sealed: list[str] = []
        for (nid, stored), again in zip(body, replayed, strict=False):
            if stored.raw != again.raw and not self._upcast_equal(stored, again):
                shown, note = self._brought_up(stored, again), ""
                if shown is None:
                    shown = stored
                elif stored.type_version != again.type_version:
                    note = (f" (stored at type version {stored.type_version}, upcast to"
                            f" {again.type_version})")
                raise _at(nid, stored, "diverged",
                          f"stored {stored.type} is not what its command produces on replay:"
                          f" {first_difference(shown, again)}{note}")
            sealed.append(stored.hash)
        if len(replayed) > len(body):
            lost = replayed[len(body)]
            raise _at(seal_nid, seal, "missing", f"the batch lacks {lost.type} (stream"
                      f" {lost.stream} version {lost.version}) that its commands produce")
        if len(body) > len(replayed):
            nid, extra = body[len(replayed)]
            raise _at(nid, extra, "extra", f"{extra.type} is stored but no command of its"
                      " batch produces it")
        if _field(seal, "events") != sealed:
            raise _at(seal_nid, seal, "diverged", "the seal does not list exactly the hashes"
                      " of the replayed batch")

    def _upcast_equal(self, stored: Record, again: Record) -> bool:
        """Whether ``again`` is ``stored`` brought up to date, byte for byte.

        Handlers write today's class version of each event; a stored event of an older
        type version (docs/integrity.md, "Event evolution") is compared with its data
        upcast to the replayed event's version, and the events chained after it in its
        stream with their ``prev`` link mapped to the replayed chain's. Each stored hash
        whose replayed twin has other bytes is remembered until its successor links to it.
        """
        current = self._brought_up(stored, again)
        if current is None or canonical_bytes(stored_body(current)) != again.raw:
            return False
        if stored.prev:
            self.links.pop(stored.prev, None)
        self.links[stored.hash] = again.hash
        return True

    def _brought_up(self, stored: Record, again: Record) -> Record | None:
        """``stored`` with its data upcast to ``again``'s type version and its ``prev`` on
        the replayed chain; None when its data cannot be upcast."""
        try:
            data = upcast(stored.type, stored.data, stored.type_version, again.type_version)
        except TypeError:
            return None
        prev = self.links.get(stored.prev, stored.prev) if stored.prev else stored.prev
        return replace(stored, data=data, prev=prev, type_version=again.type_version)


def _decoded(rows: Iterable[tuple[int, Any]]) -> Iterator[Row]:
    """The stored rows decoded; a row or a page the store cannot give is a divergence."""
    source, nid = iter(rows), 0
    while True:
        try:
            nid, row = next(source)
        except StopIteration:
            return
        except Exception as exc:  # the drivers raise many types; each means damaged storage
            raise _Diverged(Divergence("-", 0, nid + 1, "unreadable",
                                       f"the store cannot be read after notification {nid}:"
                                       f" {type(exc).__name__}: {exc}")) from None
        try:
            yield nid, decode_stored(row)
        except RecordFormatError as exc:
            raise _Diverged(Divergence(str(row.originator_id), row.originator_version, nid,
                                       "unreadable", f"unreadable: {exc}")) from None


def replay_rows(rows: Iterable[tuple[int, Any]], scratch: Ledger,
                progress: Progress | None = None) -> ReplayReport:
    """Replay stored rows (notification id, stored row) in global order onto ``scratch``."""
    replayer = Replayer(scratch)
    report = replayer.report
    started = time.perf_counter()
    batch: list[Row] = []
    try:
        for nid, record in _decoded(rows):
            batch.append((nid, record))
            if record.type == SEAL and record.stream == streams.seal_stream(
                    str(_field(record, "lane"))):
                replayer.batch(batch)
                batch = []
                if progress:
                    progress(nid)
            elif len(batch) > MAX_BATCH_ROWS:
                raise _at(nid, record, "unsealed",
                          f"no seal within {MAX_BATCH_ROWS} rows: the history is damaged")
        if batch:
            nid, record = batch[0]
            raise _at(nid, record, "unsealed", f"{len(batch)} row(s) after the last seal")
    except _Diverged as exc:
        report.divergence = exc.divergence
    report.seconds = time.perf_counter() - started
    return report


def replay_store(store: EventStore, progress: Progress | None = None,
                 workdir: Path | None = None,
                 cache_size: int = REPLAY_CACHE_SIZE, page: int = 5000) -> ReplayReport:
    """Replay every stored command onto a temporary SQLite ledger (deleted afterwards);
    it holds ``page`` stored rows, one batch and ``cache_size`` stream states at most."""
    with tempfile.TemporaryDirectory(prefix="ledger-replay-", dir=workdir) as tmp:
        scratch_store = EventStore(f"sqlite:///{Path(tmp) / 'replay.db'}")
        try:
            scratch = Ledger(scratch_store, SigningKey.generate(), cache_size=cache_size)
            return replay_rows(store.iter_rows(page=page), scratch, progress)
        finally:
            scratch_store.close()
