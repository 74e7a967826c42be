"""The ledger service: load streams, emit events, commit sealed batches.

A :class:`UnitOfWork` gathers the events of many commands and commits them in one
transaction, ending with a signed :class:`~ledger.integrity.sealing.BatchSealed`. Savepoints let a
failed command be undone without disturbing the others in the batch. States of streams
are cached between batches, least recently used first out, up to ``cache_size`` streams
(about 1-2 KB each); a conflict with another writer (PostgreSQL with several consumers)
empties the cache, and the caller retries against fresh state. Streams written once and
never read again by later batches (a command's receipt) are not cached, so the cache
holds what later commands read: departments, catalogue entries, licences and their
uniqueness claims.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, KeysView
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import Tracking

from ledger.domain import streams
from ledger.domain.events import DomainEvent
from ledger.errors import ConcurrencyError, ConfigurationError
from ledger.integrity.ledger_keys import LedgerKeyHistory
from ledger.integrity.mapper import Record, encode_record
from ledger.integrity.sealing import (
    BatchSealed,
    LedgerKeyRegistered,
    LedgerKeyRetired,
    endorsement_message,
    seal_message,
)
from ledger.integrity.signing import SigningKey, b64encode
from ledger.store.event_store import EventStore
from ledger.store.own_write import OwnWrite

S = TypeVar("S")
Fold = Callable[[Any, DomainEvent], Any]
# Records a batch sends to the store at a time: PostgreSQL inserts one chunk while the
# next is hashed and chained (a batch of 200 commands is ~570 records). 0: one chunk.
DEFAULT_INSERT_CHUNK = 100
DEFAULT_CACHE_SIZE = 50_000  # streams; ~80 MB here, see commands/settings.py


@dataclass
class _View:
    state: Any
    version: int
    head: str | None


class Ledger:
    """Owns the event store, the ledger signing key, one seal lane and a state cache."""

    def __init__(
        self, store: EventStore, signer: SigningKey, lane: str = "local",
        cache_size: int = DEFAULT_CACHE_SIZE, insert_chunk: int = DEFAULT_INSERT_CHUNK,
    ) -> None:
        self.store = store
        self.insert_chunk = insert_chunk
        self.signer = signer
        self.lane = lane
        self._cache: OrderedDict[UUID, _View] = OrderedDict()
        self._cache_size = cache_size
        self._lanes: dict[str, _View] = {}
        self._prefetched: dict[UUID, list[Record]] = {}

    # -- reading -------------------------------------------------------------------------
    def view(self, stream: UUID, fold: Fold, *, remember: bool = True) -> _View:
        """The state of ``stream``: cached, prefetched or read; cached if ``remember``."""
        cached = self._cache.get(stream)
        if cached is not None:
            self._cache.move_to_end(stream)
            return cached
        state: Any = None
        head: str | None = None
        version = 0
        records = self._prefetched.pop(stream, None)
        for record in records if records is not None else self.store.read_stream(stream):
            state = fold(state, record.event())
            version, head = record.version, record.hash
        view = _View(state, version, head)
        if remember:
            self._remember(stream, view)
        return view

    def get(self, stream: UUID, fold: Callable[[S | None, DomainEvent], S]) -> S | None:
        state: S | None = self.view(stream, fold).state
        return state

    def prefetch(self, ids: list[UUID]) -> None:
        """Read the streams a batch will need in one query instead of one query each.

        What the previous batch fetched and never read is dropped (a command refused
        before it read its streams), so this holds one batch's worth at most.
        """
        wanted = [i for i in dict.fromkeys(ids) if i not in self._cache]
        self._prefetched = self.store.read_streams(wanted) if wanted else {}

    def _remember(self, stream: UUID, view: _View) -> None:
        self._cache[stream] = view
        self._cache.move_to_end(stream)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def cached_streams(self) -> KeysView[UUID]:
        """The streams whose state is held in memory now (least recently used first)."""
        return self._cache.keys()

    def forget(self) -> None:
        """Drop cached state (after a conflict, or when another process may have written)."""
        self._cache.clear()
        self._lanes.clear()
        self._prefetched.clear()

    # -- writing -------------------------------------------------------------------------
    def begin(self, at: str, lane: str | None = None) -> UnitOfWork:
        """Start a batch; ``lane`` names the seal chain (default: this ledger's lane)."""
        return UnitOfWork(self, at, lane or self.lane)

    def _lane(self, lane: str) -> _View:
        view = self._lanes.get(lane)
        if view is None:
            last = self.store.last_of_stream(streams.seal_stream(lane))
            view = _View(None, last.version, last.hash) if last else _View(None, 0, None)
            self._lanes[lane] = view
        return view

    def ledger_key_registration(self, at: str) -> tuple[UUID, LedgerKeyRegistered] | None:
        """The event registering this ledger's key, or None if it is already the active one.

        The first key is registered on first use. A different key later is refused until
        it is rotated in with the old key's endorsement (see :meth:`key_rotation`).
        """
        history = self._key_history()
        if history.is_retired(self.signer.key_id):
            raise ConfigurationError(
                f"the configured ledger key {self.signer.key_id} was retired by a rotation;"
                " configure the ledger's current key"
            )
        if history.is_registered(self.signer.key_id):
            return None
        active = history.current
        if active is not None:
            raise ConfigurationError(
                f"the ledger's signing key is {active}, but the configured key is"
                f" {self.signer.key_id}; rotate it in with `ledger rotate-ledger-key"
                " --previous OLD_KEY.pem` or configure the registered key"
            )
        return streams.ledger_keys_stream(), self.key_registration_event(at, None)

    def key_rotation(self, previous: SigningKey, at: str) -> OwnWrite[str]:
        """The events that register this ledger's (new) key, endorsed by ``previous``, and
        retire the old one; the bus writes them (commands/bus/own_writes.py). Answers the
        new key's id.

        Seals written after this are signed by the new key; an auditor accepts the new key
        only because the old one signed the endorsement.
        """
        history = self._key_history()
        active = history.current
        if active != previous.key_id or history.is_retired(previous.key_id):
            raise ConfigurationError(
                f"--previous key {previous.key_id} is not the ledger's active signing key"
                f" ({active or 'none registered yet'})"
            )
        if history.is_registered(self.signer.key_id):
            raise ConfigurationError(f"key {self.signer.key_id} is already registered")
        stream = streams.ledger_keys_stream()
        return OwnWrite(self.signer.key_id, (
            (stream, self.key_registration_event(at, previous)),
            (stream, LedgerKeyRetired(previous.key_id, at)),
        ))

    def _key_history(self) -> LedgerKeyHistory:
        return LedgerKeyHistory.of(self.store.read_stream(streams.ledger_keys_stream()))

    def key_registration_event(
        self, at: str, previous: SigningKey | None
    ) -> LedgerKeyRegistered:
        public = b64encode(self.signer.public_key)
        endorsement = (
            b64encode(previous.sign(endorsement_message(self.signer.key_id, public)))
            if previous else None
        )
        return LedgerKeyRegistered(
            self.signer.key_id, self.signer.algorithm, public, at,
            previous.key_id if previous else None, endorsement,
        )


class UnitOfWork:
    """Events of one batch of commands; committed atomically with a ledger seal."""

    def __init__(self, ledger: Ledger, at: str, lane: str) -> None:
        self.ledger = ledger
        self.at = at
        self.lane = lane
        self._views: dict[UUID, _View] = {}
        self._base_heads: dict[UUID, str | None] = {}
        self._pending: list[tuple[UUID, int, DomainEvent, dict[str, Any] | None]] = []
        self._journal: list[tuple[UUID, _View]] = []
        self._once: set[UUID] = set()

    def write_once(self, *ids: UUID) -> None:
        """Streams written once and not read by later batches: they are not cached."""
        self._once.update(ids)

    def get(self, stream: UUID, fold: Callable[[S | None, DomainEvent], S]) -> S | None:
        state: S | None = self._view(stream, fold).state
        return state

    def version_of(self, stream: UUID, fold: Fold) -> int:
        return self._view(stream, fold).version

    def _view(self, stream: UUID, fold: Fold) -> _View:
        view = self._views.get(stream)
        if view is None:
            base = self.ledger.view(stream, fold, remember=stream not in self._once)
            view = _View(base.state, base.version, base.head)
            self._views[stream] = view
            self._base_heads[stream] = base.head
        return view

    def emit(
        self, stream: UUID, fold: Fold, evt: DomainEvent, cause: dict[str, Any] | None
    ) -> tuple[str, int]:
        """Append ``evt`` to ``stream`` and fold it in; returns (stream, version)."""
        view = self._view(stream, fold)
        self._journal.append((stream, _View(view.state, view.version, view.head)))
        view.state = fold(view.state, evt)
        view.version += 1
        self._pending.append((stream, view.version, evt, cause))
        return str(stream), view.version

    def emitted_since(self, savepoint: int) -> list[tuple[str, int]]:
        """(stream, version) of the events emitted after ``savepoint``."""
        return [(str(s), v) for s, v, _, _ in self._pending[savepoint:]]

    def savepoint(self) -> int:
        return len(self._journal)

    def rollback(self, savepoint: int) -> None:
        while len(self._journal) > savepoint:
            stream, before = self._journal.pop()
            self._views[stream] = before
            self._pending.pop()

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def commit(self, tracking: Tracking | None = None) -> list[int]:
        """Hash-chain, seal and insert every pending event in one transaction."""
        if not self._pending and tracking is None:
            return []
        ledger = self.ledger
        heads: dict[UUID, str | None] = {}
        hashes: list[str] = []
        lane = ledger._lane(self.lane)
        seal_version = lane.version + 1
        sealed: list[Record] = []

        def chunks() -> Iterator[list[Record]]:
            # Drawn by the store as it sends them: on PostgreSQL the server inserts one
            # chunk while the next is hashed and chained here (EventStore.append_chunks).
            chunk: list[Record] = []
            for stream, version, evt, cause in self._pending:
                if stream not in heads:
                    heads[stream] = self._base_heads[stream]
                record = encode_record(stream, version, evt, self.at, cause, heads[stream])
                digest = record.hash  # a property: sha256 of the record's bytes, made once here
                heads[stream] = digest
                hashes.append(digest)
                chunk.append(record)
                if len(chunk) == ledger.insert_chunk:
                    yield chunk
                    chunk = []
            signature = ledger.signer.sign(
                seal_message(self.lane, seal_version, lane.head, hashes, ledger.signer.key_id,
                             self.at)
            )
            sealed.append(encode_record(
                streams.seal_stream(self.lane), seal_version,
                BatchSealed(self.lane, tuple(hashes), ledger.signer.key_id,
                            b64encode(signature)),
                self.at, None, lane.head,
            ))
            yield [*chunk, *sealed]

        try:
            ids = ledger.store.append_chunks(chunks(), tracking)
        except ConcurrencyError:
            ledger.forget()
            raise
        seal = sealed[0]
        lane.version, lane.head = seal_version, seal.hash
        for stream, view in self._views.items():
            if stream in heads and stream not in self._once:
                ledger._remember(stream, _View(view.state, view.version, heads[stream]))
        self._pending.clear()
        self._journal.clear()
        return ids
