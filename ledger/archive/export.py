"""Archive transfer (Art. 13, 27): one issuing department's month as a BagIt package.

What goes in (the layout is in ledger/archive/package.py, the meaning in docs/archive.md):

* ``period`` events: every event recorded in the month on a licence the department
  issued; ``history``: the earlier events of those licences, so every chain starts at
  version 1 and the states at the month's end can be recomputed;
* ``department``: the key history of the department and of every department whose
  signed commands are in the package (up to the month's end);
* ``ledger-key``: the ledger's key history (whole, so the checkpoint's key is in it);
* ``command``: the signed command behind each of those events; ``seal``: the ledger seal
  covering each of them.

Each event carries its inclusion proof against a checkpoint published for the export.
The rows are read straight from the event store (two passes), never the read models.
An empty month still makes a valid package: it proves that nothing was recorded.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import bagit

from ledger.archive.checks import FORMAT
from ledger.archive.events import department_key_history, licence_states
from ledger.archive.package import ArchiveError, seal_message, write_seal
from ledger.archive.readme import readme
from ledger.domain import streams
from ledger.integrity.canonical import canonical_bytes
from ledger.integrity.ledger_keys import LedgerKeyHistory
from ledger.integrity.mapper import Record, decode_stored
from ledger.integrity.signing import b64encode
from ledger.reconciliation.reconcile import Period, Replay
from ledger.reconciliation.report import (
    PaperCount,
    build_report,
    compare,
    ledger_rows,
    sign_report,
)
from ledger.store.application import Ledger
from ledger.store.event_store import EventStore
from ledger.store.sql import ProjectionDB
from ledger.transparency.log import Publish, TransparencyLog
from ledger.transparency.merkle import hash_leaf, verify_inclusion


def export_bag(store: EventStore, db: ProjectionDB, ledger: Ledger, publish: Publish,
               department: str, period: Period, out: Path, at: str,
               paper: tuple[str, list[PaperCount]] | None = None) -> dict[str, Any]:
    """Write the package for ``department`` and ``period`` to ``out`` (new or empty);
    ``publish`` records the checkpoint the package is proved against."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArchiveError(f"{out} exists and is not an empty directory; choose a new --out")
    log = TransparencyLog(store, db)
    checkpoint, _ = publish(log, at)
    size = checkpoint.size
    select = _Selection(department, period)
    replay = Replay([department])
    for _, record in _prefix(store, size):
        select.scan(record)
        replay.add(record)
    select.close_actors()
    chosen = [(i, r, role) for i, r in _prefix(store, size) if (role := select.pick(r))]
    tree = log.tree()
    proofs = []
    for index, record, role in chosen:
        proof = tree.inclusion_proof(index, size)
        # The leaf table and this count of rows must agree; check before writing.
        verify_inclusion(hash_leaf(record.raw), index, size, proof, checkpoint.root)
        proofs.append({"sha256": record.hash, "role": role, "leaf_index": index,
                       "proof": [b64encode(h) for h in proof]})
    records = [r for _, r, _ in chosen]
    wanted = [p for p in (paper[1] if paper else [])
              if (p.department, p.period) == (department, period)]
    if paper is not None and wanted:
        body = build_report(compare(replay, wanted), checkpoint, at, paper[0])
    else:  # no paper for this department and month: the ledger's own figures
        body = build_report(ledger_rows(replay, department, period), checkpoint, at, None)
    report = sign_report(body, ledger.signer)
    description = {
        "format": FORMAT, "department": department, "period": period.text,
        "period_start": period.start, "period_end": period.end, "period_zone": "+08:00",
        "exported_at": at, "events": len(records),
        "licences": len(select.period_streams),
        "checkpoint": {"size": size, "root": b64encode(checkpoint.root),
                       "key_id": checkpoint.key_id},
    }
    files: dict[str, bytes] = {
        "bag.json": _json(description),
        "events.jsonl": b"".join(r.raw + b"\n" for r in records),
        "proofs.jsonl": b"".join(canonical_bytes(p) + b"\n" for p in proofs),
        "checkpoint.txt": checkpoint.note().encode(),
        "checkpoint.json": _json(checkpoint.to_json()),
        "ledger-keys.json": _json(LedgerKeyHistory.of(records).to_json()),
        "department-keys.json": _json(department_key_history(
            [r for _, r, role in chosen if role == "department"])),
        "licences.json": _json(licence_states(records, select.period_streams, period)),
        "reconciliation.json": _json(report),
        "README.md": readme(description, report).encode(),
    }
    _write_bag(out, files, ledger, department, period)
    return {**description, "out": str(out), "reconciliation_ok": report["ok"]}


class _Selection:
    """Decides which rows of the log belong in the package (see the module docstring)."""

    def __init__(self, department: str, period: Period) -> None:
        self.department, self.period = department, period
        self.own: set[Any] = set()  # streams of licences the department issued
        self.period_streams: set[Any] = set()
        self.dept_streams: dict[Any, str] = {}
        self.actors: set[str] = {department}
        self._dept_actors: dict[str, set[str]] = {}
        self.commands: set[str] = set()
        self.unsealed: set[str] = set()

    def scan(self, r: Record) -> None:
        if r.at >= self.period.end:
            return
        if r.type == "LicenceIssued" and r.data["issuer_code"] == self.department:
            self.own.add(r.stream)
        if r.stream in self.own:
            if self.period.contains(r.at):
                self.period_streams.add(r.stream)
            if r.cause:
                self.actors.add(r.cause["actor"])
        if r.type == "DepartmentRegistered":
            self.dept_streams[r.stream] = r.data["code"]
        code = self.dept_streams.get(r.stream)
        if code is not None and r.cause:
            self._dept_actors.setdefault(code, set()).add(r.cause["actor"])

    def close_actors(self) -> None:
        """Whoever signed a department's key events must have its key history too."""
        todo = list(self.actors)
        while todo:
            for actor in self._dept_actors.get(todo.pop(), set()) - self.actors:
                self.actors.add(actor)
                todo.append(actor)

    def pick(self, r: Record) -> str | None:
        role = self._role(r)
        if role is not None and role != "seal":
            self.unsealed.add(r.hash)
            if r.cause:
                self.commands.add(r.cause["command_id"])
        return role

    def _role(self, r: Record) -> str | None:
        if r.type == "BatchSealed":
            covered = self.unsealed.intersection(r.data["events"])
            self.unsealed -= covered
            return "seal" if covered else None
        if r.stream == streams.ledger_keys_stream():
            return "ledger-key"
        if r.type == "CommandRecorded" and r.data["command_id"] in self.commands:
            return "command"
        if r.at >= self.period.end:
            return None
        if r.stream in self.period_streams:
            return "period" if self.period.contains(r.at) else "history"
        if self.dept_streams.get(r.stream) in self.actors:
            return "department"
        return None


def _prefix(store: EventStore, size: int) -> Any:
    """(leaf index, record) of the first ``size`` rows of the log."""
    for index, (_, row) in enumerate(store.iter_rows()):
        if index >= size:
            return
        yield index, decode_stored(row)


def _json(value: Any) -> bytes:
    return canonical_bytes(value) + b"\n"


def _write_bag(out: Path, files: dict[str, bytes], ledger: Ledger, department: str,
               period: Period) -> None:
    out.mkdir(parents=True, exist_ok=True)
    try:
        for name, data in files.items():
            (out / name).write_bytes(data)
        bagit.make_bag(str(out), {
            "Source-Organization": "licence ledger (电子证照)",
            "External-Identifier": f"{department}/{period.text}",
            "External-Description": f"Electronic licence records of issuing department"
                                    f" {department} for {period.text}; see data/README.md",
            "Bag-Software-Agent": "licence-ledger archive export",
        }, checksums=["sha256"])
        write_seal(out, ledger.signer.key_id, ledger.signer.sign(seal_message(out)))
        bagit.Bag(str(out)).save(manifests=False)  # the tag manifest now covers the seal
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)  # never leave half a package behind
        raise
