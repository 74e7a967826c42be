"""``ledger demo``: the whole lifecycle on an empty embedded ledger, then the audit."""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from commands.bootstrap import Services, bootstrap
from commands.bus import Result
from commands.cli_tools import audit_with_progress, print_audit
from commands.output import err, fail, progress, table
from commands.scenario import Scenario
from commands.scenario_use import use
from commands.settings import DEFAULT_HOME, Settings, load_settings
from ledger.canonical import format_instant
from ledger.localtime import beijing_date
from ledger.signing import save_signing_key
from ledger.store import redact
from projections.summary import status_label, summarise


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="issue, change, suspend, cancel and revoke licences,"
                       " then audit (embedded SQLite unless LEDGER_DATABASE_URL is set)")
    p.add_argument("--licences", type=_positive, default=1000, metavar="N",
                   help="licences to issue (default 1000)")
    p.add_argument("--seed", type=int, default=None, help="make the city reproducible")
    p.set_defaults(func=demo)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _fresh_default_database(settings: Settings) -> None:
    """Keep a previous demo's data: move the default database aside, never delete it."""
    db = DEFAULT_HOME / "ledger.db"
    if settings.database_is_default and db.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        for suffix in ("", "-wal", "-shm"):
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
    keys_dir = DEFAULT_HOME / f"demo-keys-{seed}"
    for d in scenario.city.departments:
        path = keys_dir / f"{d.code}.pem"
        if not path.exists():
            save_signing_key(d.key, path)
    err.print(f"ledger: {redact(services.settings.database_url)}   seed: {seed}   "
              f"department keys: {keys_dir}/")
    results: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    batch = services.settings.batch_size
    with progress() as bar:
        for label, commands in (
            ("set up departments and catalogue", list(scenario.setup())),
            (f"issue {args.licences} licences", None),
            ("change, suspend, cancel, revoke, expire", None),
            ("grant use; verify, view, download; consent; public queries", None),
        ):
            today = beijing_date(datetime.now(UTC))  # the calendar the handlers judge by
            if commands is not None:
                items = commands
            elif label.startswith("issue"):
                items = list(scenario.issue(args.licences))
            elif label.startswith("change"):
                items = list(scenario.lifecycle(today))
            else:
                items = list(use(scenario, today, reads=max(10, args.licences // 2)))
            task = bar.add_task(label, total=len(items))
            for i in range(0, len(items), batch):
                chunk = items[i:i + batch]
                _count(services.bus.execute(chunk), results)
                bar.advance(task, len(chunk))
    elapsed = time.perf_counter() - started
    accepted = sum(n for (_, status), n in results.items() if status == "accepted")
    rejected = sum(results.values()) - accepted
    table("commands", ["type", "accepted", "rejected"], [
        (t, results[(t, "accepted")], results[(t, "rejected")])
        for t in sorted({t for t, _ in results})
    ])
    summary = summarise(services.store.iter_rows())
    columns = summary.status_columns()
    table("licences by type and status (a projection of the event log)",
          ["licence type", *columns, "total"],
          [(summary.type_names.get(t, t), *[c[s] for s in columns], sum(c.values()))
           for t, c in summary.by_type_and_status()])
    err.print("status: " + ", ".join(status_label(c) for c in columns))
    err.print(f"{accepted} commands accepted, {rejected} rejected in {elapsed:.1f} s "
              f"({accepted / max(elapsed, 1e-9):.0f}/s); versions: {dict(summary.versions)};"
              f" cancelled as issued in error: {summary.cancelled_in_error}")
    report = audit_with_progress(services.store)
    print_audit(report)
    refused_reads = sum(n for (t, status), n in results.items()
                        if status == "rejected" and t in READS)
    if rejected:
        err.print(f"{refused_reads} refused read(s) were recorded as access events, as the"
                  " demo intends (a matter outside the usage list, revoked consent)")
    return 0 if report.ok and rejected == refused_reads else 1


READS = {"VerifyLicence", "ViewLicence", "DownloadLicence", "AnnotateLicence",
         "QueryPublicRegister"}


def _count(batch: list[Result], results: Counter[tuple[str, str]]) -> None:
    for r in batch:
        results[(r.command_type or "?", r.status)] += 1
