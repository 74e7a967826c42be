"""``ledger archive export | verify`` and ``ledger backup | restore``."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from commands.bootstrap import bootstrap
from commands.cli.args import require_department
from commands.cli.output import err, fail, result_table
from commands.maintenance import backup as backups
from commands.settings import load_settings
from ledger.domain.identifiers import validate_uscc
from ledger.integrity.canonical import format_instant
from ledger.reconciliation.reconcile import Period
from ledger.reconciliation.report import parse_paper_csv


def register(sub: Any) -> None:
    """Add ``archive`` (export, verify), ``backup`` and ``restore``."""
    p = sub.add_parser("archive", help="archive transfer packages (BagIt) for an issuing"
                       " department and month")
    kinds = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = kinds.add_parser("export", help="write one department's month as a BagIt package")
    q.add_argument("--department", required=True, metavar="CODE",
                   help="issuing department's USCC")
    q.add_argument("--period", required=True, metavar="YYYY-MM",
                   help="calendar month, China Standard Time")
    q.add_argument("--out", type=Path, required=True, metavar="DIR", help="new directory")
    q.add_argument("--paper", type=Path, metavar="FILE.csv",
                   help="paper counts to reconcile against inside the package (optional)")
    q.set_defaults(func=archive_export)
    q = kinds.add_parser("verify", help="check a package fully offline (exit 0 only if all"
                         " verifies)")
    q.add_argument("dir", type=Path, metavar="DIR")
    q.add_argument("--ledger-key", metavar="KEY_ID",
                   help="the ledger key you trust (from the ledger's published key id)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=archive_verify)

    p = sub.add_parser("backup", help="publish a checkpoint, then copy the ledger to FILE"
                       " (SQLite online backup or pg_dump) with FILE.json beside it")
    p.add_argument("--out", type=Path, required=True, metavar="FILE")
    p.set_defaults(func=backup)
    p = sub.add_parser("restore", help="restore FILE into LEDGER_DATABASE_URL, then audit it"
                       " and verify the backup's checkpoint (exit 0 only then)")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace a ledger already there")
    p.add_argument("--json", action="store_true", help="print the verification as JSON")
    p.set_defaults(func=restore)


def _now() -> str:
    return format_instant(datetime.now(UTC))


def _bagit_missing() -> int | None:
    # Imported on use, so every other command works where bagit is not installed yet.
    try:
        import bagit  # noqa: F401
    except ModuleNotFoundError:
        return fail("the archive commands need the bagit package: pip install 'bagit>=1.9'")
    return None


def archive_export(args: argparse.Namespace) -> int:
    """Write the package; prints a summary (JSON) on stdout."""
    if (missing := _bagit_missing()) is not None:
        return missing
    from ledger.archive.export import export_bag

    department = validate_uscc(args.department.strip())
    period = Period.parse(args.period)
    paper = None
    if args.paper is not None:
        try:
            text = args.paper.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return fail(f"cannot read {args.paper} as UTF-8 text: {exc}")
        paper = (str(args.paper), parse_paper_csv(text, str(args.paper)))
    services = bootstrap(load_settings())
    try:
        require_department(services.store, department, "--department")
        summary = export_bag(services.store, services.read_db, services.ledger,
                             services.publish_checkpoint, department, period, args.out,
                             _now(), paper)
    finally:
        services.close()
    print(orjson.dumps(summary).decode())
    err.print(f"wrote {summary['events']} events of {summary['licences']} licence(s) to"
              f" {args.out}; check it with `ledger archive verify {args.out}`")
    return 0


def archive_verify(args: argparse.Namespace) -> int:
    """Verify a package with nothing but its files (no settings, no database)."""
    if (missing := _bagit_missing()) is not None:
        return missing
    from ledger.archive.package import verify_bag

    logging.getLogger("bagit").setLevel(logging.ERROR)  # its findings come back as problems
    report = verify_bag(args.dir, args.ledger_key)
    if args.json:
        print(orjson.dumps(report.to_json()).decode())
    else:
        facts = report.facts
        cp = facts.get("checkpoint", {})
        result_table(f"archive {args.dir}", ["check", "value"], [
            ("department", facts.get("department", "?")), ("period", facts.get("period", "?")),
            ("events", facts.get("events", "?")),
            ("checkpoint", f"size {cp.get('size', '?')}, root {cp.get('root', '?')}"),
            ("ledger key", cp.get("key_id", "?")),
            ("result", "OK" if report.ok else f"FAILED ({len(report.problems)} problem(s))")])
        if report.problems:
            result_table("problems (the first 50)", ["problem"],
                         [(problem,) for problem in report.problems[:50]])
        if report.ok and args.ledger_key is None:
            err.print("note: compare the ledger key above with the one the ledger publishes"
                      " (or pass --ledger-key): a package is only as trustworthy as its key")
    return 0 if report.ok else 1


def backup(args: argparse.Namespace) -> int:
    """Make a backup and describe it."""
    description = backups.backup(load_settings(), args.out, _now())
    cp = description["checkpoint"]
    print(orjson.dumps({k: v for k, v in description.items() if k != "checkpoint"}
                       | {"checkpoint": {"size": cp["size"], "root": cp["root"]}}).decode())
    err.print(f"backup written to {args.out} (+ {args.out}.json); it ends with checkpoint"
              f" {cp['size']}")
    return 0


def restore(args: argparse.Namespace) -> int:
    """Restore, then audit: exit 0 only when the restored ledger verifies."""
    result = backups.restore(load_settings(), args.file, args.force)
    if args.json:
        print(orjson.dumps(result).decode())
    else:
        result_table("restore", ["check", "value"], [
            ("events audited", result["events"]), ("checkpoints verified",
                                                   result["checkpoints"]),
            ("backup's checkpoint", result["checkpoint"]),
            ("result", "OK" if result["ok"] else f"FAILED ({len(result['problems'])})")])
        if result["problems"]:
            result_table("problems (the first 50)", ["problem"],
                         [(problem,) for problem in result["problems"][:50]])
    return 0 if result["ok"] else 1
