"""``ledger keygen | sign | apply | check-id | audit``."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from commands.bootstrap import Services, bootstrap
from commands.bus.pipeline import Result, decode_any, too_large
from commands.cli.audit_held import checkpoint_auditor, print_held
from commands.cli.output import err, fail, progress, result_table, table
from commands.cli.replay import print_replay, replay_json, run_replay
from commands.settings import load_settings
from commands.signed.envelope import SignedCommand, sign_envelope
from ledger.domain.identifiers import IdentifierError, check_value
from ledger.errors import ConfigurationError
from ledger.integrity.audit import AuditReport, Observer, audit_store
from ledger.integrity.audit_damage import STORAGE_ERRORS
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey, b64encode, load_signing_key, save_signing_key
from ledger.store.event_store import EventStore


def register(sub: Any) -> None:
    p = sub.add_parser("keygen", help="generate an Ed25519 signing key (PKCS#8 PEM, mode 0600)")
    p.add_argument("--out", type=Path, required=True, help="where to write the private key")
    p.set_defaults(func=keygen)

    p = sub.add_parser("sign", help="sign a JSON-lines file of commands")
    p.add_argument("file", help="JSON lines: {type, payload[, actor, command_id, issued_at]}"
                   " or '-' for stdin")
    keys = p.add_mutually_exclusive_group(required=True)
    keys.add_argument("--key", type=Path, help="one key for every line (with --actor)")
    keys.add_argument("--keys", type=Path, help="directory of <actor USCC>.pem keys")
    p.add_argument("--actor", help="acting department USCC for lines without one")
    p.set_defaults(func=sign)

    p = sub.add_parser("apply", help="apply a JSON-lines file of signed commands in-process")
    p.add_argument("file", help="JSON lines of signed envelopes, or '-' for stdin")
    p.add_argument("--json", action="store_true", help="print each result as a JSON line")
    p.set_defaults(func=apply)

    p = sub.add_parser("check-id", help="validate licence identifiers, USCCs, citizen IDs")
    p.add_argument("values", nargs="+", metavar="VALUE")
    p.set_defaults(func=check_id)

    p = sub.add_parser("schema", help="print the JSON Schema of the command wire format")
    p.set_defaults(func=schema)

    p = sub.add_parser("rotate-ledger-key",
                       help="register the configured LEDGER_KEY_FILE as the ledger's new key,"
                       " endorsed by the previous key, and retire the previous one")
    p.add_argument("--previous", type=Path, required=True, help="the current ledger key (PEM)")
    p.set_defaults(func=rotate_ledger_key)

    p = sub.add_parser("audit", help="verify every hash, chain link and signature")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--replay", action="store_true", help="also re-execute every signed command"
                   " on a scratch ledger and compare the events byte for byte")
    p.add_argument("--checkpoint", type=Path, metavar="FILE",
                   help="a checkpoint kept outside the ledger (the JSON of `ledger checkpoint"
                   " --json`, or its note): prove the history extends it")
    p.set_defaults(func=audit)


@dataclass(frozen=True)
class Oversized:
    """A line longer than the limit: only its length was kept, never its bytes."""

    size: int


def _lines(name: str, max_bytes: int) -> Iterator[tuple[int, bytes | Oversized]]:
    """Non-blank lines with their numbers, streamed; memory holds one line at most
    ``max_bytes`` long whatever the file (a longer one is skipped in chunks)."""
    if name == "-":
        yield from _bounded(sys.stdin.buffer, max_bytes)
        return
    try:
        handle = open(name, "rb")  # noqa: SIM115 - closed below, streamed line by line
    except OSError as exc:
        raise ConfigurationError(f"cannot read {name}: {exc.strerror}") from None
    with handle:
        yield from _bounded(handle, max_bytes)


def _bounded(stream: BinaryIO, max_bytes: int) -> Iterator[tuple[int, bytes | Oversized]]:
    n = 0
    while line := stream.readline(max_bytes + 2):  # room for the limit and a CR LF
        n += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):  # cut short: skip the rest
            size = len(line)
            while (more := stream.readline(1 << 16)) and not more.endswith(b"\n"):
                size += len(more)
            yield n, Oversized(size + len(more.rstrip(b"\r\n")))
            continue
        body = line.rstrip(b"\r\n")
        if len(body) > max_bytes:
            yield n, Oversized(len(body))
        elif body.strip():
            yield n, line


def keygen(args: argparse.Namespace) -> int:
    if args.out.exists():
        return fail(f"{args.out} exists; refusing to overwrite a key")
    key = SigningKey.generate()
    save_signing_key(key, args.out)
    print(f"key_id\t{key.key_id}\npublic_key\t{b64encode(key.public_key)}")
    return 0


def sign(args: argparse.Namespace) -> int:
    single = load_signing_key(args.key) if args.key else None
    cache: dict[str, SigningKey] = {}
    for n, line in _lines(args.file, load_settings().max_record_bytes):
        if isinstance(line, Oversized):
            return fail(f"{args.file}:{n}: the line is {line.size} bytes long; at most"
                        " LEDGER_MAX_RECORD_BYTES are read")
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return fail(f"{args.file}:{n}: not valid JSON ({exc})")
        if not isinstance(item, dict) or "type" not in item or "payload" not in item:
            return fail(f"{args.file}:{n}: expected an object with 'type' and 'payload'")
        if "signature" in item:
            sys.stdout.buffer.write(orjson.dumps(item) + b"\n")
            continue
        actor = item.get("actor") or args.actor
        if not actor:
            return fail(f"{args.file}:{n}: no actor; give it in the line or with --actor")
        if single is not None:
            key = single
        else:
            if actor not in cache:
                cache[actor] = load_signing_key(args.keys / f"{actor}.pem")
            key = cache[actor]
        envelope = sign_envelope(
            key, command_type=item["type"], actor=actor, payload=item["payload"],
            issued_at=item.get("issued_at") or format_instant(datetime.now(UTC)),
            command_id=item.get("command_id") or str(uuid.uuid4()),
        )
        sys.stdout.buffer.write(orjson.dumps(envelope) + b"\n")
    return 0


def apply(args: argparse.Namespace) -> int:
    """Every line gets exactly one answer, in file order.

    The file is streamed a batch at a time: a batch ends at LEDGER_BATCH_SIZE lines or
    LEDGER_BATCH_BYTES bytes, and no line is held beyond LEDGER_MAX_RECORD_BYTES, so
    memory is bounded whatever the file. A line that breaks its batch is isolated
    (``execute_isolating``): the other lines of the batch are still applied. A database
    outage stops the run with a message: what was committed stays, and running it
    again answers those lines with their original results."""
    settings = load_settings()
    services = bootstrap(settings)
    counts: Counter[str] = Counter()
    limit = settings.max_record_bytes
    try:
        batch: list[bytes | Oversized] = []
        held = 0
        with progress() as bar:
            task = bar.add_task("applying", total=None)
            for _, line in _lines(args.file, limit):
                batch.append(line)
                held += len(line) if isinstance(line, bytes) else 0
                if len(batch) >= settings.batch_size or held >= settings.batch_bytes:
                    _emit(_apply_batch(services, batch, limit), args.json, counts)
                    bar.advance(task, len(batch))
                    batch, held = [], 0
            if batch:
                _emit(_apply_batch(services, batch, limit), args.json, counts)
                bar.advance(task, len(batch))
    finally:
        services.close()
    table("apply", ["result", "commands"], sorted(counts.items()))
    return 0 if counts["rejected"] == 0 else 1


def _apply_batch(services: Services, lines: list[bytes | Oversized],
                 max_bytes: int) -> list[Result]:
    """Results in line order: oversized and undecodable lines are answered without
    reaching the ledger; the rest go through the bus as one batch."""
    decoded = [too_large(x.size, max_bytes) if isinstance(x, Oversized)
               else decode_any(x.rstrip(b"\r\n"), max_bytes) for x in lines]
    commands = [d for d in decoded if isinstance(d, SignedCommand)]
    applied = iter(services.bus.execute_isolating(commands) if commands else [])
    return [d if isinstance(d, Result) else next(applied) for d in decoded]


def _emit(results: list[Result], as_json: bool, counts: Counter[str]) -> None:
    write = sys.stdout.write
    for r in results:
        counts[r.status] += 1
        write(orjson.dumps(r.to_json()).decode() + "\n" if as_json else r.line() + "\n")
    sys.stdout.flush()


def check_id(args: argparse.Namespace) -> int:
    all_valid = True
    for value in args.values:
        try:
            check_value(value)
        except IdentifierError as exc:
            all_valid = False
            print(f"{value}\tinvalid\t{exc.message}")
        else:
            print(f"{value}\tvalid")
    return 0 if all_valid else 1


def schema(args: argparse.Namespace) -> int:
    from commands.cli.schema_gen import command_schema

    print(json.dumps(command_schema(), indent=2, ensure_ascii=False))
    return 0


def rotate_ledger_key(args: argparse.Namespace) -> int:
    settings = load_settings()
    previous = load_signing_key(args.previous)
    services = bootstrap(settings)
    try:
        services.rotate_ledger_key(previous, format_instant(datetime.now(UTC)))
    finally:
        services.close()
    print(f"ledger key rotated: {previous.key_id} -> {services.ledger.signer.key_id}")
    return 0


def audit(args: argparse.Namespace) -> int:
    settings = load_settings()
    # Never create tables here: a dropped events table is damage to report, not to mend.
    store = EventStore(settings.database_url, create_table=False)
    try:  # the checkpoint auditor shares the first pass's read of the rows
        with checkpoint_auditor(settings, store, args.checkpoint) as checkpoints:
            report = audit_with_progress(store, checkpoints.observe)
            checkpoints.fold_into(report)
        replayed = run_replay(store) if args.replay else None
    finally:
        store.close()
    if args.json:
        print(orjson.dumps({**report.to_json(), **checkpoints.summary(),
                            **replay_json(replayed)}).decode())
    else:
        print_audit(report)
        err.print(f"transparency checkpoints verified: {checkpoints.checkpoints}")
        print_held(checkpoints)
        if replayed is not None:
            print_replay(replayed)
    return 0 if report.ok and (replayed is None or replayed.ok) else 1


AUDIT_PHASES = ("signatures and seals", "stream chains")


def audit_with_progress(store: EventStore, observe: Observer | None = None) -> AuditReport:
    """``audit_store`` with a progress bar per pass (each pass reads every row once)."""
    try:
        total = store.max_notification_id() or None
    except STORAGE_ERRORS:  # the audit itself reports the damage
        total = None
    with progress() as bar:
        tasks = {phase: bar.add_task(f"audit: {phase}", total=total) for phase in AUDIT_PHASES}
        report = audit_store(store, lambda phase, n: bar.update(tasks[phase], completed=n),
                             observe)
        for task in tasks.values():
            bar.update(task, completed=total)
    return report


def print_audit(report: AuditReport) -> None:
    """The verdict is the command's result: on stdout (progress stays on stderr)."""
    result_table("audit", ["check", "value"], [
        ("events verified", report.events), ("streams", report.streams),
        ("sealed batches", report.batches), ("command signatures", report.commands),
        ("ledger keys", ", ".join(report.ledger_keys) or "-"),
        ("result", "OK" if report.ok else f"FAILED ({len(report.errors)} problem(s))"),
    ])
    if not report.ok:
        result_table("audit problems (first is where history breaks)",
                     ["stream", "position", "notification", "reason"],
                     [(e.stream, e.position, e.notification_id, e.reason)
                      for e in report.errors[:20]])
