"""``ledger checkpoint | proof | reconcile`` (and, through cli_archive, ``archive``,
``backup``, ``restore``): what lets an outsider trust the ledger.

Results (JSON, the checkpoint note, the reconciliation report) go to stdout, notes to
stderr. Exit 0 on success, 1 when a check found
a problem (a reconciliation mismatch; a leaf table or checkpoint that no longer matches the
stored events, so nothing is proved or signed), 2 for bad input or configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from commands.bootstrap import Services, bootstrap
from commands.cli import archive as cli_archive
from commands.cli.output import err, fail, out, result_table
from commands.settings import load_settings
from ledger.integrity.audit_damage import PERSISTENCE_ERRORS
from ledger.integrity.mapper import decode_stored
from ledger.reconciliation.reconcile import MEASURES, Replay
from ledger.reconciliation.report import build_report, compare, parse_paper_csv, sign_report
from ledger.transparency.checkpoint import CheckpointError
from ledger.transparency.log import LeafTableError, TransparencyLog
from ledger.transparency.proofs import now


def register(sub: Any) -> None:
    """Add the transparency, reconciliation, archive and backup subcommands."""
    p = sub.add_parser("checkpoint", help="the latest signed checkpoint of the transparency"
                       " log (publishing one first if the log has grown)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=checkpoint)

    p = sub.add_parser("proof", help="Merkle inclusion and consistency proofs")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    q = kinds.add_parser("inclusion", help="prove that leaf I is in the tree of N leaves")
    q.add_argument("--index", type=_natural, required=True, metavar="I", help="leaf index")
    q.add_argument("--size", type=_natural, metavar="N",
                   help="tree size (default: the latest checkpoint's, published if needed)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=proof_inclusion)
    q = kinds.add_parser("consistency", help="prove the tree of N leaves extends that of M")
    q.add_argument("--from", dest="size1", type=_natural, required=True, metavar="M")
    q.add_argument("--to", dest="size2", type=_natural, metavar="N",
                   help="default: the latest checkpoint's size")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=proof_consistency)

    p = sub.add_parser("reconcile", help="replay the events against paper-register counts"
                       " (exit 0 only when everything matches)")
    p.add_argument("--paper", type=Path, required=True, metavar="FILE.csv",
                   help="CSV: department,licence_type,period,issued,changed,withdrawn,in_force")
    p.add_argument("--json", action="store_true", help="print the signed report as JSON")
    p.set_defaults(func=reconcile)
    cli_archive.register(sub)


def _natural(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _open() -> tuple[Services, TransparencyLog]:
    services = bootstrap(load_settings())
    return services, services.transparency_log()


def _emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(orjson.dumps(data).decode())
        return
    for key, value in data.items():
        if isinstance(value, list):
            for i, item in enumerate(value):
                print(f"{key}[{i}]\t{item}")
        elif not isinstance(value, dict):
            print(f"{key}\t{value}")


def checkpoint(args: argparse.Namespace) -> int:
    """Print the latest checkpoint, publishing one if events were added since."""
    services, log = _open()
    try:
        latest, new = services.publish_checkpoint(log, now())
    except (LeafTableError, CheckpointError) as exc:
        return _refuse(exc)
    except PERSISTENCE_ERRORS as exc:
        return _damaged(exc)
    finally:
        services.close()
    if args.json:
        print(orjson.dumps({**latest.to_json(), "published": new}).decode())
    else:
        sys.stdout.write(latest.note())
        err.print("published a new checkpoint" if new else
                  "no events since the latest checkpoint; it still stands")
    return 0


def proof_inclusion(args: argparse.Namespace) -> int:
    """Print the inclusion proof of a leaf (against the latest checkpoint by default)."""
    return _prove(args.size, args.index + 1, lambda log, size: log.inclusion(args.index, size),
                  args.json)


def proof_consistency(args: argparse.Namespace) -> int:
    """Print the consistency proof between two tree sizes (the second: a checkpoint
    published now, by default)."""
    return _prove(args.size2, None, lambda log, size: log.consistency(args.size1, size),
                  args.json)


def _prove(size: int | None, leaves: int | None,
           prove: Callable[[TransparencyLog, int], dict[str, Any]], as_json: bool) -> int:
    """Run ``prove`` at ``size``; with no size, at a signed checkpoint included in the
    output: the latest if it covers ``leaves`` leaves, else one published now."""
    services, _ = _open()
    try:
        data = services.proof(size, leaves, prove)
    except (LeafTableError, CheckpointError) as exc:
        return _refuse(exc)
    except PERSISTENCE_ERRORS as exc:
        return _damaged(exc)
    finally:
        services.close()
    _emit(data, as_json)
    return 0


def _refuse(exc: LeafTableError | CheckpointError) -> int:
    """The log no longer matches the events: nothing is proved or signed (exit 1)."""
    print(f"error: refused: {exc.message} [{exc.code}]", file=sys.stderr)
    return 1


def _damaged(exc: BaseException) -> int:
    """The events cannot be read: nothing is proved or signed (exit 1)."""
    words = " ".join(str(exc).split()) or type(exc).__name__
    print(f"error: refused: storage damaged: {words}; run `ledger audit` to see where"
          " [storage]", file=sys.stderr)
    return 1


def reconcile(args: argparse.Namespace) -> int:
    """Compare the paper counts with the replayed events; exit 0 only if all match."""
    try:
        text = args.paper.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"cannot read {args.paper} as UTF-8 text: {exc}")
    paper = parse_paper_csv(text, str(args.paper))
    services, log = _open()
    try:
        at = now()
        signed, _ = services.publish_checkpoint(log, at)
        replay = Replay({p.department for p in paper})
        for index, (_, row) in enumerate(services.store.iter_rows()):
            if index >= signed.size:  # exactly the checkpoint's prefix of the log
                break
            replay.add(decode_stored(row))
        report = sign_report(build_report(compare(replay, paper), signed, at, str(args.paper)),
                             services.ledger.signer)
    finally:
        services.close()
    if args.json:
        print(orjson.dumps(report).decode())
    else:
        print_reconciliation(report)
    return 0 if report["ok"] else 1


def print_reconciliation(report: dict[str, Any]) -> None:
    """The report, on stdout (it is the command's result): every row's figures, then each
    mismatch with its licences."""
    cp = report["checkpoint"]
    result_table(f"reconciliation at checkpoint {cp['size']} ({cp['time']}): paper/ledger",
          ["department", "type", "period", *MEASURES, "result"],
          [(r["department"], r["licence_type"], r["period"],
            *(f"{'-' if r['paper'] is None else r['paper'][m]}/{r['ledger'][m]}"
              for m in MEASURES), "ok" if r["matches"] else "MISMATCH")
           for r in report["rows"]])
    for r in report["rows"]:
        for m in r["mismatches"]:
            names = [e["identifier"] for e in r["licences"][m]]
            shown = ", ".join(names[:10]) + (f" … (+{len(names) - 10})" if len(names) > 10
                                             else "")
            out.print(f"MISMATCH {r['department']} {r['licence_type']} {r['period']} {m}:"
                      f" paper {'-' if r['paper'] is None else r['paper'][m]},"
                      f" ledger {r['ledger'][m]}: {shown or 'no licences in the ledger'}")
    out.print("result: " + ("everything matches" if report["ok"] else
                            f"{report['mismatches']} row(s) do not match"))
