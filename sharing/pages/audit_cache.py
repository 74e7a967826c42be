"""The latest audit, run on request in a thread of its own with its own connection to the
event store, so a long audit never holds up the writer; the management page shows the
last result and when it was computed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from ledger.integrity.audit import audit_store
from ledger.integrity.canonical import format_instant
from ledger.store.event_store import EventStore


class AuditCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self.latest: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        return self._running

    def start(self, database_url: str) -> bool:
        """Start an audit unless one is running; True when one was started."""
        with self._lock:
            if self._running:
                return False
            self._running = True
        threading.Thread(target=self._run, args=(database_url,), name="page-audit",
                         daemon=True).start()
        return True

    def _run(self, database_url: str) -> None:
        started = datetime.now(UTC)
        try:
            store = EventStore(database_url)
            try:
                report = audit_store(store).to_json()
            finally:
                store.close()
        except Exception as exc:  # shown on the page; the service goes on
            report = {"ok": False, "failed": f"{type(exc).__name__}: {exc}"}
        self.latest = {**report, "started_at": format_instant(started),
                       "finished_at": format_instant(datetime.now(UTC))}
        with self._lock:
            self._running = False
