"""``ledger show | project | wallet | access-log | stats | corrections``: the read side."""

from __future__ import annotations

import argparse
import json
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from commands.bootstrap import Services, bootstrap
from commands.cli.args import department_code, holder_code, licence_identifier, require_department
from commands.cli.output import err, progress, result_table
from commands.settings import load_settings
from ledger.domain.corrections import ANSWER_WITHIN_WORKING_DAYS
from ledger.domain.identifiers import IdentifierError, validate_uscc
from ledger.domain.localtime import beijing_date, to_beijing
from ledger.domain.text import is_ascii_digits
from ledger.errors import NotFoundError
from ledger.store.sql import ProjectionDB
from licence_files.labels import face_labels
from projections.engine.runner import check
from projections.models.corrections_queries import get_corrections
from projections.models.queries import get_catalogue_entry, get_licence
from projections.models.use_queries import get_access_log, get_stats, get_wallet


def register(sub: Any) -> None:
    p = sub.add_parser("show", help="a licence's current state and history, by identifier")
    p.add_argument("identifier", metavar="IDENTIFIER", type=licence_identifier)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=show)

    p = sub.add_parser("project", help="bring every read model up to date with the ledger")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--follow", action="store_true",
                      help="keep them up to date until SIGTERM (production process)")
    mode.add_argument("--rebuild", action="store_true", help="rebuild every one from zero")
    mode.add_argument("--check", action="store_true",
                      help="prove each equals a fresh replay of the log (exit 0 only then)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (positions, or --check's differences)")
    p.set_defaults(func=project)


def _open() -> Services:
    return bootstrap(load_settings())


T = TypeVar("T")


def read_models(query: Callable[[Services], T]) -> T:
    """What ``query`` reads from the read models, saying first when they lag the ledger:
    the open ▸ warn ▸ query ▸ close every read command shares."""
    services = _open()
    try:
        warn_if_behind(services)
        return query(services)
    finally:
        services.close()


def _licence_and_entry(services: Services, identifier: str
                       ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    licence = get_licence(services.read_db, identifier)
    return licence, get_catalogue_entry(services.read_db, licence["type_code"])


def print_json(data: Any) -> int:
    """A read command's ``--json`` answer: one document on stdout."""
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def warn_if_behind(services: Services) -> None:
    behind = services.projections.behind()
    if behind > 0:
        err.print(f"note: read models are {behind} event(s) behind the ledger;"
                  " run `ledger project` (or keep `ledger project --follow` running)")


def show(args: argparse.Namespace) -> int:
    licence, entry = read_models(lambda s: _licence_and_entry(s, args.identifier))
    if args.json:
        return print_json(licence)
    if not licence["is_current_version"]:
        err.print(f"[bold yellow]{args.identifier} is superseded; the current version is"
                  f" {licence['identifier']}[/]", markup=True)
    holders = "; ".join(f"{h['name']} ({h['code_type']}:{h['code']})"
                        for h in licence["holders"])
    result_table(f"licence {licence['identifier']}", ["field", "value"], [
        ("status", f"{licence['status']} {licence['status_name']}"
         + (f" — {licence['status_reason']}" if licence["status_reason"] else "")
         + (f" ({licence['cancel_kind']})" if licence["cancel_kind"] else "")),
        ("licence type", f"{entry['name']} ({licence['type_code']})" if entry
         else licence["type_code"]), ("issuer", licence["issuer_code"]),
        ("licence number", licence["licence_number"]), ("holders", holders),
        ("version", licence["version"]), ("catalogue version", licence["catalogue_version"]),
        ("issue date", licence["issue_date"]),
        ("valid", f"{licence['valid_from']} – {licence['valid_until'] or 'open-ended'}"),
        ("paper licence", licence["paper_number"] or "-"),
        ("matter / case", f"{licence['matter_code']} / {licence['case_number']}"),
        *[(f"face: {label} ({key})" if label else f"face: {key}", licence["face"][key])
          for key, label in face_labels(licence["face"], entry)],
    ])
    result_table("versions", ["version", "identifier", "operation", "kind", "recorded", "reason"],
          [(v["version"], v["identifier"], v["operation"], v["kind"], v["recorded_at"],
            v["reason"] or "") for v in licence["versions"]])
    result_table("status history", ["recorded", "operation", "status", "reason"],
          [(h["recorded_at"], h["operation"], h["status"], h["reason"] or "")
           for h in licence["status_history"]])
    return 0


def project(args: argparse.Namespace) -> int:
    services = _open()
    runner = services.projections
    try:
        if args.check:
            scratch = ProjectionDB("sqlite:///:memory:")
            problems = check(services.store, services.read_db, runner.projections, scratch)
            if args.json:
                print(json.dumps({"ok": not any(problems.values()), "projections": problems},
                                 ensure_ascii=False, indent=2))
                return 0 if not any(problems.values()) else 1
            result_table("projection check (live vs fresh replay)", ["projection", "result"],
                  [(name, "equal" if not diffs else "; ".join(diffs))
                   for name, diffs in problems.items()])
            return 0 if not any(problems.values()) else 1
        if args.follow:
            stopping = {"now": False}

            def stop(*_: object) -> None:
                stopping["now"] = True

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            err.print("following the ledger; SIGTERM or Ctrl-C to stop")
            runner.follow(lambda: stopping["now"])
            return 0
        with progress() as bar:
            task = bar.add_task("rebuilding" if args.rebuild else "catching up", total=None)

            def report(position: int, head: int) -> None:
                bar.update(task, completed=position, total=head)

            started = time.perf_counter()
            applied = runner.rebuild() if args.rebuild else 0
            applied += runner.catch_up(report)
            seconds = time.perf_counter() - started
        err.print(f"applied {applied:,} event(s) in {seconds:.2f} s"
                  + (f" ({applied / seconds:,.0f} events/s)" if applied and seconds else ""))
        stuck = [{"projection": s.projection, "notification_id": s.notification_id,
                  "stream": s.stream, "version": s.version, "error": s.error}
                 for s in runner.stuck.values()]
        if args.json:
            print(json.dumps({"applied": applied, "positions": runner.positions(),
                              "stuck": stuck}, indent=2))
        else:
            result_table("read models", ["projection", "position"],
                         sorted(runner.positions().items()))
            if stuck:  # it stopped alone on an event; the others are current
                result_table("stuck read models (each stopped before the event named)",
                             ["projection", "notification", "stream", "version", "error"],
                             [(s["projection"], s["notification_id"], s["stream"] or "-",
                               s["version"] or "-", s["error"]) for s in stuck])
        if stuck:
            return 1
        return 0
    finally:
        services.close()





def register_use(sub: Any) -> None:
    p = sub.add_parser("wallet", help="a holder's licences and the live grants they gave")
    p.add_argument("holder_code", metavar="HOLDER_CODE", type=holder_code,
                   help="USCC, citizen ID or other document number of the holder")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=wallet)

    p = sub.add_parser("access-log", help="who read which licence, when, why, and the outcome")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--licence", metavar="ID", type=licence_identifier,
                       help="reads of one licence (any version)")
    which.add_argument("--issuer", metavar="CODE", type=department_code,
                       help="reads of one issuer's licences")
    which.add_argument("--user", metavar="CODE", type=department_code,
                       help="reads by one department")
    p.add_argument("--limit", type=int, default=1000, metavar="N",
                   help="at most N reads, oldest first (default 1000)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=access_log)

    p = sub.add_parser("stats", help="issuance rate (发证率) and usage rate (用证率)")
    p.add_argument("--period", metavar="YYYY-MM", type=_period, help="one month only")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=stats)

    p = sub.add_parser(
        "corrections", help="the corrections queue (纠错/异议, Art. 21): ages, deadlines, overdue",
        description="Open corrections and disputes, oldest first, with their age in days and"
        " the day the issuer's answer is due. Art. 21 asks for a prompt answer (及时) and names"
        " no number of days: the deadline is --within working days after the day of the"
        " report (Monday to Friday, Beijing time; public holidays are not modelled).")
    p.add_argument("--issuer", metavar="CODE", type=_uscc, help="one issuer's corrections only")
    p.add_argument("--overdue", action="store_true",
                   help="only overdue ones (with --all, also those answered late)")
    p.add_argument("--all", action="store_true", help="answered ones too, with their outcome")
    p.add_argument("--within", metavar="DAYS", type=_working_days,
                   default=ANSWER_WITHIN_WORKING_DAYS,
                   help=f"working days the issuer has to answer (default"
                   f" {ANSWER_WITHIN_WORKING_DAYS}; a local policy, not the regulation's)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=corrections_queue)


def _uscc(text: str) -> str:
    try:
        return validate_uscc(text)
    except IdentifierError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an issuer code: {exc.message}"
                                         ) from None


def _working_days(text: str) -> int:
    if not is_ascii_digits(text) or not 1 <= int(text) <= 365:
        raise argparse.ArgumentTypeError(f"expected a number of working days from 1 to 365,"
                                         f" got {text!r}")
    return int(text)


def _period(text: str) -> str:
    if len(text) != 7 or text[4] != "-" or not is_ascii_digits(text[:4] + text[5:]) \
            or not 1 <= int(text[5:]) <= 12:
        raise argparse.ArgumentTypeError(f"expected a month written YYYY-MM, got {text!r}")
    return text


def wallet(args: argparse.Namespace) -> int:
    data = read_models(lambda s: get_wallet(s.read_db, args.holder_code,
                                            beijing_date(datetime.now(UTC))))
    if not data["licences"] and not data["live_grants"]:
        raise NotFoundError(f"no licence in this ledger names {args.holder_code} as holder"
                            " (`ledger demo` prints one holder under \"try next\")",
                            code="unknown_holder")
    if args.json:
        return print_json(data)
    result_table(f"licences held by {args.holder_code}",
                 ["identifier", "number", "status", "until"],
                 [(x["identifier"], x["licence_number"], f"{x['status']} {x['status_name']}",
                   x["valid_until"] or "open-ended") for x in data["licences"]])
    result_table("live grants", ["grant", "kind", "to", "rights", "matter", "until"],
          [(g["grant_id"], g["kind"], g["grantee"], ",".join(g["rights"]), g["matter_code"],
            g["valid_until"]) for g in data["live_grants"]])
    return 0


def access_log(args: argparse.Namespace) -> int:
    def query(services: Services) -> list[dict[str, Any]]:
        if args.issuer or args.user:
            require_department(services.store, args.issuer or args.user,
                               "--issuer" if args.issuer else "--user")
        return get_access_log(services.read_db, licence=args.licence, issuer=args.issuer,
                              user=args.user, limit=args.limit)

    rows = read_models(query)
    if len(rows) == args.limit:
        err.print(f"note: showing the first {args.limit} reads; there may be more"
                  " (raise --limit)")
    if args.json:
        return print_json(rows)
    result_table(f"access log ({len(rows)} reads)",
          ["when", "action", "mode", "outcome", "by", "operator", "matter/case", "licence"],
          [(r["recorded_at"][:19], r["action"], r["mode"], r["outcome"]
            + (f" ({r['code']})" if r["code"] else ""), r["organisation"], r["operator"],
            f"{r['matter_code']}/{r['case_number']}", r["identifier"] or "-") for r in rows])
    return 0


def stats(args: argparse.Namespace) -> int:
    data = read_models(lambda s: get_stats(s.read_db, args.period))
    if args.json:
        return print_json(data)

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    result_table(f"issuance and usage rates{' for ' + args.period if args.period else ''}",
          ["department", "type", "period", "e-issued", "paper", "issuance", "e-cases",
           "cases", "usage"],
          [(r["department"], r["licence_type"][-3:], r["period"], r["electronic_issued"],
            r["paper_issued"] if r["paper_issued"] is not None else "-",
            pct(r["issuance_rate"]), r["cases_using_electronic"],
            r["cases_requiring"] if r["cases_requiring"] is not None else "-",
            pct(r["usage_rate"])) for r in data["rows"]])
    return 0


def corrections_queue(args: argparse.Namespace) -> int:
    def query(services: Services) -> dict[str, Any]:
        if args.issuer:
            require_department(services.store, args.issuer, "--issuer")
        return get_corrections(services.read_db, datetime.now(UTC), issuer=args.issuer,
                               overdue_only=args.overdue, include_answered=args.all,
                               within=args.within)

    data = read_models(query)
    if args.json:
        return print_json(data)
    rows = data["corrections"]

    def when(instant: str | None) -> str:
        return to_beijing(instant).strftime("%Y-%m-%d %H:%M") if instant else "-"

    columns = ["correction", "licence", "reporter", "issuer", "reported (Beijing)", "age",
               "deadline", "overdue"]
    if args.all:
        columns += ["outcome", "answered (Beijing)"]
    body = []
    for r in rows:
        line = [r["correction_id"], r["identifier"] or f"(missing) {r['type_code']}",
                r["reporter"], r["issuer_code"], when(r["reported_at"]), r["age_days"],
                r["deadline"], "OVERDUE" if r["overdue"] else "-"]
        if args.all:
            line += [r["outcome"] or "open", when(r["answered_at"])]
        body.append(line)
    which = ("overdue " if args.overdue else "") + ("" if args.all else "open ")
    result_table(f"{which}corrections{' of ' + args.issuer if args.issuer else ''}"
          f" as of {data['today']} ({len(rows)}; answer due within {args.within} working"
          " days)", columns, body)
    return 0
