"""The composition root: the only place that builds infrastructure.

Entry points (the CLI, the Kafka consumer, tests) call :func:`bootstrap` and get the
services wired for the configured database; nothing connects at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from commands.bus import MessageBus
from commands.settings import Settings
from ledger.application import Ledger
from ledger.signing import SigningKey, load_signing_key, save_signing_key
from ledger.store import EventStore


@dataclass
class Services:
    settings: Settings
    store: EventStore
    ledger: Ledger
    bus: MessageBus

    def close(self) -> None:
        self.store.close()


def ledger_signing_key(settings: Settings) -> SigningKey:
    """Load the ledger's key, creating it (mode 0600) on first use."""
    if not settings.key_file.exists():
        save_signing_key(SigningKey.generate(), settings.key_file)
    return load_signing_key(settings.key_file)


def open_store(settings: Settings) -> EventStore:
    return EventStore(settings.database_url)


def bootstrap(
    settings: Settings,
    *,
    lane: str | None = None,
    clock: Callable[[], datetime] | None = None,
    after_commit: Callable[[list[int]], None] | None = None,
    signer: SigningKey | None = None,
) -> Services:
    store = open_store(settings)
    ledger = Ledger(store, signer or ledger_signing_key(settings), lane or settings.lane)
    bus = MessageBus(ledger, clock=clock, after_commit=after_commit)
    return Services(settings, store, ledger, bus)
