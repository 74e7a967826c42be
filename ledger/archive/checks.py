"""The payload of an archive package, checked against itself (see ledger/archive/package.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final
from uuid import UUID

import orjson

from ledger.archive.events import (
    EventChecks,
    department_key_history,
    licence_states,
    parse_record,
)
from ledger.errors import LedgerError
from ledger.integrity.canonical import thaw
from ledger.integrity.ledger_keys import LedgerKeyHistory
from ledger.integrity.mapper import Record
from ledger.integrity.signing import b64decode
from ledger.reconciliation.reconcile import MEASURES, Period, Replay
from ledger.reconciliation.report import verify_report
from ledger.transparency.checkpoint import (
    Checkpoint,
    from_json,
    log_origin,
    parse_note,
    verify_checkpoint,
)
from ledger.transparency.merkle import ProofError, hash_leaf, verify_inclusion

FORMAT: Final = "licence-ledger-archive/1"
PAYLOAD: Final = ("README.md", "bag.json", "events.jsonl", "proofs.jsonl", "checkpoint.txt",
                  "checkpoint.json", "ledger-keys.json", "department-keys.json",
                  "licences.json", "reconciliation.json")
Keys = dict[str, tuple[str, bytes]]


def read_json(data: bytes, name: str, problems: list[str]) -> Any:
    """Parse one payload file, noting a problem (and returning None) if it is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        problems.append(f"data/{name}: not valid JSON ({exc})")
        return None


def check_payload(payload: dict[str, bytes], problems: list[str], facts: dict[str, Any],
                  trusted_key: str | None) -> Keys:
    """Check every payload file; note problems and facts; return the ledger keys found."""
    bag = read_json(payload["bag.json"], "bag.json", problems)
    try:
        department, period = str(bag["department"]), Period.parse(bag["period"])
        if bag["format"] != FORMAT:
            raise ValueError
    except (KeyError, TypeError, ValueError, LedgerError):
        problems.append(f"data/bag.json: not a {FORMAT} description with department and period")
        return {}
    facts.update(department=department, period=period.text)
    events = _events(payload, problems)
    checks = EventChecks()
    problems.extend(checks.run([(r, role) for r, role, _, _ in events]))
    keys = checks.ledger_keys
    facts.update(events=len(events), ledger_keys=list(keys))
    checkpoint = _checkpoint(payload, keys, problems, trusted_key)
    if checkpoint is None:
        return keys
    facts["checkpoint"] = {"size": checkpoint.size, "root": checkpoint.to_json()["root"],
                           "key_id": checkpoint.key_id, "time": checkpoint.time}
    _proofs(events, checkpoint, problems)
    _roles(events, department, period, problems)
    records = [r for r, _, _, _ in events]
    licence_streams = {r.stream for r, role, _, _ in events if role == "period"}
    depts = [r for r, role, _, _ in events if role == "department"]
    derivations: dict[str, Callable[[], Any]] = {
        "ledger-keys.json": lambda: LedgerKeyHistory.of(records).to_json(),
        "department-keys.json": lambda: department_key_history(depts),
        "licences.json": lambda: licence_states(records, licence_streams, period),
    }
    for name, derive in derivations.items():
        try:
            derived = thaw(derive())
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"data/{name}: cannot be recomputed from the events ({exc})")
            continue
        if read_json(payload[name], name, problems) != derived:
            problems.append(f"data/{name}: differs from what the events in the package say")
    _reconciliation(payload, records, department, period, checkpoint, keys, problems)
    return keys


def _events(payload: dict[str, bytes], problems: list[str]) -> list[
        tuple[Record, str, int, list[bytes]]]:
    lines, proof_lines = payload["events.jsonl"].split(b"\n"), payload["proofs.jsonl"].split(b"\n")
    if lines[-1] or proof_lines[-1]:
        problems.append("data/events.jsonl and data/proofs.jsonl must end with a newline")
    lines, proof_lines = lines[:-1], proof_lines[:-1]
    if len(lines) != len(proof_lines):
        problems.append(f"data/events.jsonl has {len(lines)} lines but data/proofs.jsonl"
                        f" {len(proof_lines)}: one proof line per event")
    out = []
    for n, (line, proof_line) in enumerate(zip(lines, proof_lines, strict=False), 1):
        try:
            record = parse_record(line)
            proof = orjson.loads(proof_line)
            if proof["sha256"] != record.hash:
                raise ValueError("its proof line names another event")
            hashes = [b64decode(h, what="proof hash") for h in proof["proof"]]
            out.append((record, str(proof["role"]), int(proof["leaf_index"]), hashes))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"data/events.jsonl line {n}: {exc}")
    return out


def _checkpoint(payload: dict[str, bytes], keys: Keys, problems: list[str],
                trusted_key: str | None) -> Checkpoint | None:
    try:
        checkpoint = parse_note(payload["checkpoint.txt"].decode())
        if payload["checkpoint.txt"].decode() != checkpoint.note():
            raise ValueError("data/checkpoint.txt is not in canonical form")
        if from_json(orjson.loads(payload["checkpoint.json"])) != checkpoint:
            raise ValueError("data/checkpoint.json and data/checkpoint.txt differ")
        verify_checkpoint(checkpoint, keys)
    except LedgerError as exc:
        problems.append(f"checkpoint: {exc.message}")
        return None
    except (UnicodeDecodeError, orjson.JSONDecodeError, ValueError) as exc:
        problems.append(f"checkpoint: {exc}")
        return None
    order = list(keys)
    if checkpoint.origin != log_origin(order[0]):
        problems.append(f"checkpoint names the log {checkpoint.origin!r}, not the one of the"
                        f" ledger key history ({log_origin(order[0])!r})")
    if trusted_key is not None and (trusted_key not in order or order.index(
            trusted_key) > order.index(checkpoint.key_id)):
        problems.append(f"checkpoint is signed by {checkpoint.key_id}, which is neither the"
                        f" trusted ledger key {trusted_key} nor endorsed by it")
    return checkpoint


def _proofs(events: list[tuple[Record, str, int, list[bytes]]], checkpoint: Checkpoint,
            problems: list[str]) -> None:
    previous = -1
    for record, _, index, proof in events:
        where = f"event {record.stream}/{record.version}"
        if index <= previous:
            problems.append(f"{where}: leaf index {index} is not after {previous} (events must"
                            " be in log order)")
        previous = index
        try:
            verify_inclusion(hash_leaf(record.raw), index, checkpoint.size, proof,
                             checkpoint.root)
        except ProofError as exc:
            problems.append(f"{where}: inclusion proof for leaf {index} fails against the"
                            f" checkpoint of size {checkpoint.size} ({exc})")


def _roles(events: list[tuple[Record, str, int, list[bytes]]], department: str,
           period: Period, problems: list[str]) -> None:
    issuers: dict[UUID, str] = {}
    for record, role, _, _ in events:
        where = f"event {record.stream}/{record.version} (role {role})"
        if record.type == "LicenceIssued":
            issuers[record.stream] = record.data["issuer_code"]
        if role in ("period", "history") and issuers.get(record.stream) != department:
            problems.append(f"{where}: not an event of a licence issued by {department}")
        if role == "period" and not period.contains(record.at):
            problems.append(f"{where}: recorded at {record.at}, outside {period.text}")
        if role == "history" and record.at >= period.start:
            problems.append(f"{where}: recorded at {record.at}, not before {period.text}")
        if role not in ("period", "history", "department", "ledger-key", "command", "seal"):
            problems.append(f"{where}: unknown role")


def _reconciliation(payload: dict[str, bytes], records: list[Record], department: str,
                    period: Period, checkpoint: Checkpoint, keys: Keys,
                    problems: list[str]) -> None:
    report = read_json(payload["reconciliation.json"], "reconciliation.json", problems)
    try:
        verify_report(report, keys)
        named = report["checkpoint"]
        if (named["size"], named["root"]) != (checkpoint.size, checkpoint.to_json()["root"]):
            problems.append("data/reconciliation.json was computed at another checkpoint")
        figures = {r["licence_type"]: r["ledger"] for r in report["rows"]
                   if (r["department"], r["period"]) == (department, period.text)}
    except LedgerError as exc:
        problems.append(f"data/reconciliation.json: {exc.message}")
        return
    except (KeyError, TypeError, AttributeError):
        problems.append("data/reconciliation.json: rows lack department, period or figures")
        return
    # The period's acts are all in the package, so their counts can be recomputed; the
    # in-force count needs licences untouched this period, which the package does not hold.
    replay = Replay([department]).add_all(records)
    for type_code in sorted(replay.types_of(department) | set(figures)):
        counted = replay.counts(department, type_code, period).numbers()
        stated = figures.get(type_code, dict.fromkeys(MEASURES, 0) | {"voided": 0})
        for measure in ("issued", "changed", "withdrawn", "voided"):
            if counted[measure] != stated.get(measure):
                problems.append(f"licence type {type_code}: the package holds {counted[measure]}"
                                f" {measure} licence(s) but the signed report counts"
                                f" {stated.get(measure)} (events missing from the package?)")
