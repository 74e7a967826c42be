"""The work behind ``ledger render | annotate | verify-file`` (see :mod:`commands.cli.files`)."""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from commands.bootstrap import Services, bootstrap
from commands.cli.args import require_department
from commands.cli.output import err, fail, result_table, table
from commands.setting_sections import FileSettings
from commands.settings import Settings, load_settings
from ledger.domain.file_verdict import VALID_VERDICT
from licence_files.service import (
    CommandRefusedError,
    Reading,
    annotate_licence,
    render_licence,
    verify_file,
)
from licence_files.store import write_atomically

MAX_FILE = 64 * 1024 * 1024
BYTES_PROBLEMS = {"not_a_licence_file", "unreadable", "unsigned", "signature_broken",
                  "not_whole_file"}


def _reading(args: argparse.Namespace, fs: FileSettings, **extra: Any) -> Reading | None:
    actor = args.actor or fs.actor
    if not actor:
        return None
    operator = args.operator or getpass.getuser()
    return Reading(actor, operator, args.purpose, args.matter, args.case, **extra)


def _run(settings: Settings, fn: Any, *args: Any, actor: str | None = None) -> Any:
    """``fn(services, *args)``; with ``actor``, first make sure that department exists."""
    services: Services = bootstrap(settings)
    try:
        if actor is not None:
            require_department(services.store, actor, "--as")
        return fn(services, *args)
    finally:
        services.close()


def render(args: argparse.Namespace) -> int:
    settings = load_settings()
    fs = settings.files
    try:
        data, summary = _run(settings, render_licence, fs, args.identifier, args.format,
                             datetime.now(UTC))
    except CommandRefusedError as exc:
        err.print(f"error: {exc.message} [{exc.code}]")
        return 1
    write_atomically(args.out, data)
    return _written(args, f"original of {args.identifier}", [
        ("format", args.format), ("sha256", summary["file_hash"]),
        ("verification reference", summary["reference"]),
        ("template", f"{summary['template_id']} v{summary['template_version']}"),
        ("file", str(args.out))])


def annotate(args: argparse.Namespace) -> int:
    settings = load_settings()
    fs = settings.files
    reading = _reading(args, fs, mode=args.mode, grant_id=args.grant, agent_code=args.agent,
                       agent_auth=args.agent_auth)
    if reading is None:
        return fail("say which department makes the copy: --as CODE or LEDGER_ACTOR")
    if not args.grant:
        return fail("annotate needs --grant ID: the grant the copy is made under (a"
                    " functional grant, a holder's consent or a delegation; `ledger wallet"
                    " HOLDER` lists a holder's grants, `ledger demo` prints one)")
    if args.matter == "-":
        return fail("annotate needs --matter CODE: the matter (事项) the copy serves, one the"
                    " grant covers (the demo's grants cover MATTER-001)")
    try:
        data, payload = _run(settings, annotate_licence, fs, args.identifier, reading,
                             args.recipient, args.until, datetime.now(UTC),
                             actor=reading.actor)
    except CommandRefusedError as exc:
        err.print(f"error: {exc.message} [{exc.code}]")
        return 1
    write_atomically(args.out, data)
    return _written(args, f"annotated copy of {args.identifier}", [
        ("copy", payload["copy_id"]), ("purpose", args.purpose), ("maker", reading.actor),
        ("recipient", args.recipient), ("valid until", args.until),
        ("sha256", payload["file_hash"]), ("file", str(args.out))])


def _written(args: argparse.Namespace, title: str, rows: list[tuple[str, str]]) -> int:
    """The file's SHA-256 on stdout and its summary on stderr; or all as one JSON object
    (keys with ``_`` for spaces)."""
    if args.json:
        print(json.dumps({k.replace(" ", "_"): v for k, v in rows}, ensure_ascii=False,
                         indent=2))
    else:
        table(title, ["field", "value"], rows)
        print(dict(rows)["sha256"])
    return 0


def verify(args: argparse.Namespace) -> int:
    settings = load_settings()
    fs = settings.files
    reading = _reading(args, fs)
    if reading is None:
        return fail("each verification is recorded as an access (Art. 27): say which"
                    " department verifies with --as CODE or LEDGER_ACTOR")
    try:
        if args.file.stat().st_size > MAX_FILE:
            return fail(f"{args.file} is larger than {MAX_FILE // 2**20} MiB: not a licence file")
        data = args.file.read_bytes()
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror}")
    try:
        answer = _run(settings, verify_file, fs, data, reading, datetime.now(UTC),
                      actor=reading.actor)
    except CommandRefusedError as exc:
        err.print(f"error: {exc.message} [{exc.code}]")
        return 2
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        _print_verdict(args.file, answer)
    return 0 if answer["verdict"] == VALID_VERDICT else 1


def _print_verdict(path: Path, answer: dict[str, Any]) -> None:
    codes = {r["code"] for r in answer["reasons"]}
    f, lic, copy = answer["file"], answer.get("licence"), answer.get("copy")
    signers = "; ".join(f"{s['department'] or 'unregistered'} ({s['fingerprint'][:16]}…)"
                        for s in answer["signers"]) or "-"
    rows: list[tuple[str, str]] = [
        ("file", f"{path} ({f['format']}{', ' + f['kind'] if 'kind' in f else ''})"),
        ("signature intact, whole file", "no" if codes & BYTES_PROBLEMS else "yes"),
        ("signers and departments", signers)]
    if lic:
        rows += [("licence", f"{lic['identifier']} (version {lic['version']})"),
                 ("current version", "yes" if lic["is_current_version"]
                  else f"no: {lic['current_identifier']}"),
                 ("live status", f"{lic['status']} {lic['status_name']}")]
    if copy:
        rows += [("copy purpose", copy["purpose"]), ("copy recipient", copy["recipient"]),
                 ("copy valid until", copy["valid_until"] + (" (ended)" if copy["expired"]
                                                             else ""))]
    rows += [(f"reason: {r['code']}", r["message"]) for r in answer["reasons"]]
    rows.append(("verdict", answer["verdict"]))
    result_table(f"verification of {path.name}", ["check", "result"], rows)
