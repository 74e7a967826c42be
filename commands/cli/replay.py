"""The ``--replay`` part of ``ledger audit``: progress, table and JSON of the replay."""

from __future__ import annotations

from typing import Any

from commands.cli.output import err, progress, result_table
from commands.replay.report import ReplayReport
from commands.replay.run import replay_store
from ledger.integrity.audit_damage import STORAGE_ERRORS
from ledger.store.event_store import EventStore


def run_replay(store: EventStore) -> ReplayReport:
    """Replay the whole history with a progress bar (by notification id)."""
    try:
        total = store.max_notification_id() or None
    except STORAGE_ERRORS:  # damaged storage: the replay reports the first unreadable row
        total = None
    with progress() as bar:
        task = bar.add_task("audit: replay of the signed commands", total=total)
        report = replay_store(store, lambda nid: bar.update(task, completed=nid))
        bar.update(task, completed=total)
    return report


def print_replay(report: ReplayReport) -> None:
    result_table("replay", ["check", "value"], [
        ("events re-derived and compared", report.events), ("batches", report.batches),
        ("commands re-executed", report.commands),
        ("ledger's own events fed back", report.ledger_events),
        ("speed", f"{report.events_per_second:,.0f} events/s"),
        ("result", "OK" if report.ok else "DIVERGED"),
    ])
    d = report.divergence
    if d is not None:
        err.print(f"replay diverges at stream {d.stream} version {d.position}"
                  f" (notification {d.notification_id}), {d.kind}: {d.reason}")


def replay_json(report: ReplayReport | None) -> dict[str, Any]:
    return {} if report is None else {"replay": report.to_json()}
