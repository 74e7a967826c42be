"""``ledger demo``: the whole lifecycle on an empty embedded ledger, then the audit."""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from commands.bootstrap import Services, bootstrap
from commands.bus.pipeline import Result
from commands.cli.demo_next import try_next, try_next_rows, write_demo_keys
from commands.cli.output import err, fail, progress, result_table
from commands.cli.tools import audit_with_progress, print_audit
from commands.demo.scenario import Scenario
from commands.demo.use import use
from commands.settings import DEFAULT_HOME, Settings, load_settings
from ledger.domain.localtime import beijing_date
from ledger.integrity.canonical import format_instant
from ledger.store.event_store import redact
from ledger.store.read_database import SUFFIX as READ
from projections.models.summary import status_label, summarise


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="issue, change, suspend, cancel and revoke licences,"
                       " then audit (embedded SQLite unless LEDGER_DATABASE_URL is set)")
    p.add_argument("--licences", type=_positive, default=1000, metavar="N",
                   help="licences to issue (default 1000)")
    p.add_argument("--seed", type=int, default=None, help="make the city reproducible")
    p.add_argument("--json", action="store_true", help="print one JSON object (counts,"
                   " licences by type and status, the audit, the try-next commands)"
                   " instead of the tables")
    p.set_defaults(func=demo)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _fresh_default_database(settings: Settings) -> None:
    """Keep a previous demo's data: move the default database aside, never delete it."""
    db = DEFAULT_HOME / "ledger.db"
    # Read models left without their ledger (deleted by hand) would be dropped with a
    # warning by the first command; they go aside with it instead.
    if settings.database_is_default and (db.exists() or Path(f"{db}{READ}").exists()):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        # The ledger's files and its read models' (ledger/store/read_database.py).
        for suffix in ("", "-wal", "-shm", *(f"{READ}{s}" for s in ("", "-wal", "-shm"))):
            old = Path(f"{db}{suffix}")
            if old.exists():
                old.rename(DEFAULT_HOME / f"ledger-{stamp}.db{suffix}")
        err.print(f"previous embedded ledger kept as {DEFAULT_HOME}/ledger-{stamp}.db")


def demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    _fresh_default_database(settings)
    services = bootstrap(settings)
    try:
        if services.store.max_notification_id() > 0:
            return fail(f"the ledger at {redact(settings.database_url)} is not empty; the demo"
                        " needs an empty one (point LEDGER_DATABASE_URL at a new database)")
        return _run(services, args)
    finally:
        services.close()


def _run(services: Services, args: argparse.Namespace) -> int:
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    scenario = Scenario(seed, lambda: format_instant(datetime.now(UTC)))
    keys_dir = services.settings.files.keys_dir
    err.print(f"ledger: {redact(services.settings.database_url)}   seed: {seed}   "
              f"department keys and demo file certificates: {keys_dir}/")
    results: dict[str, Result] = {}
    started = time.perf_counter()
    batch = services.settings.batch_size
    with progress() as bar:
        for label, commands in (
            ("set up departments and catalogue", list(scenario.setup())),
            ("register file-signing certificates (demo CA)", None),
            (f"issue {args.licences} licences", None),
            ("change, suspend, cancel, revoke, expire", None),
            ("grant use; verify, view, download; consent; public queries", None),
        ):
            today = beijing_date(datetime.now(UTC))  # the calendar the handlers judge by
            if commands is not None:
                items = commands
            elif label.startswith("register"):  # signed once the keys are registered
                items = write_demo_keys(scenario, keys_dir)
            elif label.startswith("issue"):
                items = list(scenario.issue(args.licences))
            elif label.startswith("change"):
                items = list(scenario.lifecycle(today))
            else:
                items = list(use(scenario, today, reads=max(10, args.licences // 2)))
            task = bar.add_task(label, total=len(items))
            for i in range(0, len(items), batch):
                chunk = items[i:i + batch]
                results.update((r.command_id, r) for r in services.bus.execute(chunk))
                bar.advance(task, len(chunk))
    elapsed = time.perf_counter() - started
    summary = _summary(services, results, elapsed, args.json)
    report = audit_with_progress(services.store)
    if not args.json:
        print_audit(report)
    surprises = unexpected_outcomes(results, scenario.expected_refusals)
    for line in surprises[:20]:
        err.print(f"[bold red]unexpected:[/] {line}", markup=True)
    if scenario.expected_refusals and not surprises:
        err.print(f"{len(scenario.expected_refusals)} read(s) were refused exactly as the demo"
                  " intends (a matter outside the reader's usage list, a public query of a"
                  " licence type that is not disclosed) and recorded as access events")
    ok = report.ok and not surprises
    if not ok:
        err.print(f"[bold red]the demo failed:[/] {len(surprises)} unexpected outcome(s)"
                  f"{'' if report.ok else ', and the audit failed'}", markup=True)
    if args.json:
        rows = try_next_rows(scenario, services.settings.is_postgres) if ok else []
        print(orjson.dumps({"ok": ok, "seed": seed, **summary, "audit": report.to_json(),
                            "refused_as_intended": len(scenario.expected_refusals),
                            "unexpected": surprises,
                            "try_next": [{"what": w, "command": c} for w, c in rows]}).decode())
    elif ok:
        try_next(scenario, services.settings.is_postgres)
    return 0 if ok else 1

def _summary(services: Services, results: dict[str, Result], elapsed: float,
             as_json: bool) -> dict[str, Any]:
    """Print the tables of commands and licences (unless ``as_json``); return them."""
    counts: Counter[tuple[str, str]] = Counter(
        (r.command_type or "?", r.status) for r in results.values())
    accepted = sum(n for (_, status), n in counts.items() if status == "accepted")
    per_type = [(t, counts[(t, "accepted")], counts[(t, "rejected")])
                for t in sorted({t for t, _ in counts})]
    summary = summarise(services.store.iter_rows())
    columns = summary.status_columns()
    by_type = [(summary.type_names.get(t, t), *[c[s] for s in columns], sum(c.values()))
               for t, c in summary.by_type_and_status()]
    if not as_json:
        result_table("commands", ["type", "accepted", "rejected"], per_type)
        result_table("licences by type and status (a projection of the event log)",
                     ["licence type", *columns, "total"], by_type)
    err.print("status: " + ", ".join(status_label(c) for c in columns))
    err.print(f"{accepted} commands accepted, {len(results) - accepted} rejected in"
              f" {elapsed:.1f} s ({accepted / max(elapsed, 1e-9):.0f}/s);"
              f" new versions: {_counted(summary.versions)};"
              f" cancelled as issued in error: {summary.cancelled_in_error}")
    return {"commands": {t: {"accepted": a, "rejected": r} for t, a, r in per_type},
            "licences_by_type_and_status": {row[0]: dict(zip([*columns, "total"], row[1:],
                                                              strict=True)) for row in by_type},
            "new_versions": dict(summary.versions),
            "cancelled_in_error": summary.cancelled_in_error}


def _counted(kinds: Counter[str]) -> str:
    """``{'change': 76, 'renewal': 2}`` as ``76 change, 2 renewal`` (``none`` if empty)."""
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "none"


def unexpected_outcomes(results: dict[str, Result], expected: dict[str, str]) -> list[str]:
    """Every command whose outcome is not the one the demo meant: refused with exactly the
    expected code, or accepted."""
    problems = []
    for command_id, r in results.items():
        want = expected.get(command_id)
        if want is None and not r.accepted:
            problems.append(f"{r.command_type} {command_id} was refused: {r.code}: {r.message}")
        elif want is not None and (r.accepted or r.code != want):
            got = "accepted" if r.accepted else f"refused with {r.code}: {r.message}"
            problems.append(f"{r.command_type} {command_id} should be refused with {want},"
                            f" but was {got}")
    problems += [f"command {c} (expected to be refused with {want}) got no result"
                 for c, want in expected.items() if c not in results]
    return problems
