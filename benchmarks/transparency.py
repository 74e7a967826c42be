"""How fast is the transparency log built, and how fast is the ledger audited?

    .venv/bin/python benchmarks/transparency.py [--licences N] [--database-url URL]
                                                [--json FILE]

Builds a ledger of N licences through the bus (set-up, issue, lifecycle), then measures,
side by side on the same machine in the same run:

* tree building: leaf hashing and ``MerkleTree.append`` over the stored rows already in
  memory (leaves/s), and the leaf table's catch-up from zero, database writes included;
* audit: ``audit_rows`` plus the checkpoint audit over the same rows in memory (events
  verified/s), and the same reading them from the database;
* the baseline: raw Ed25519 verifications/s (pyca/cryptography) of as many 1 KB messages.

Target (issue 5): audit rate >= 80% of the raw verify rate. The audit checks one
department signature per command and one ledger signature per batch, not one per event,
so it can exceed the raw rate; ``signatures per event`` says how many it checked.
With no URL it uses a temporary SQLite file; a PostgreSQL URL must point at an empty
schema (``?schema=bench_transparency``, created if missing).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not this dir

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.bootstrap import bootstrap
from commands.cli.output import progress, table
from commands.demo.scenario import Scenario
from commands.settings import load_settings
from ledger.integrity.audit import audit_rows, audit_store
from ledger.integrity.canonical import format_instant
from ledger.transparency.checkpoint_audit import CheckpointAuditor
from ledger.transparency.merkle import MerkleTree, hash_leaf


def _ensure_schema(url: str) -> None:
    if "schema=" not in url:
        return
    import psycopg
    from psycopg import sql

    schema = url.rsplit("schema=", 1)[1].split("&")[0]
    with psycopg.connect(url.split("?")[0], autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def build(url: str, key_file: Path, licences: int) -> Any:
    """A ledger of ``licences`` licences with their lifecycle; returns the services."""
    if url.startswith("postgres"):
        _ensure_schema(url)
    services = bootstrap(load_settings({"LEDGER_DATABASE_URL": url,
                                        "LEDGER_KEY_FILE": str(key_file),
                                        "LEDGER_INLINE_PROJECTIONS": "no"}))
    if services.store.max_notification_id():
        sys.exit(f"{url} already holds a ledger; point --database-url at an empty one")
    scenario = Scenario(5, lambda: format_instant(datetime.now(UTC)))
    with progress() as bar:
        task = bar.add_task("building the ledger", total=licences)
        services.bus.execute(list(scenario.setup()))
        commands = list(scenario.issue(licences))
        for i in range(0, len(commands), 200):
            services.bus.execute(commands[i:i + 200])
            bar.advance(task, min(200, len(commands) - i))
        lifecycle = list(scenario.lifecycle(date.today()))
        for i in range(0, len(lifecycle), 200):
            services.bus.execute(lifecycle[i:i + 200])
    services.publish_checkpoint(services.transparency_log(), format_instant(datetime.now(UTC)))
    return services


def measure(services: Any) -> dict[str, Any]:
    """Every figure of the run (see the module docstring)."""
    rows = list(services.store.iter_rows())
    n = len(rows)
    started = time.perf_counter()
    tree = MerkleTree()
    for _, row in rows:
        tree.append(hash_leaf(bytes(row.state)))
    tree.root()
    tree_s = time.perf_counter() - started

    log = services.transparency_log()
    log.db.execute("DROP TABLE IF EXISTS transparency_leaves")
    started = time.perf_counter()
    log.catch_up()
    catch_up_s = time.perf_counter() - started

    started = time.perf_counter()
    checkpoints = CheckpointAuditor()
    report = audit_rows(checkpoints.observe(iter(rows)))
    audit_s = time.perf_counter() - started
    assert report.ok and checkpoints.checkpoints >= 1, report.errors[:3]
    started = time.perf_counter()
    audit_rows(iter(rows))
    plain_s = time.perf_counter() - started
    started = time.perf_counter()
    audit_store(services.store, observe=CheckpointAuditor().observe)
    audit_db_s = time.perf_counter() - started

    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    messages = [i.to_bytes(8, "big") * 128 for i in range(min(n, 20_000))]
    signatures = [key.sign(m) for m in messages]
    started = time.perf_counter()
    for m, s in zip(messages, signatures, strict=True):
        public.verify(s, m)
    verify_rate = len(messages) / (time.perf_counter() - started)
    audit_rate = n / audit_s
    return {
        "events": n, "signatures_checked": report.commands + report.batches,
        "signatures_per_event": round((report.commands + report.batches) / n, 3),
        "tree_leaves_per_s": round(n / tree_s), "leaf_table_catch_up_per_s": round(
            n / catch_up_s), "audit_events_per_s": round(audit_rate),
        "audit_from_database_events_per_s": round(n / audit_db_s),
        "audit_without_checkpoint_audit_events_per_s": round(n / plain_s),
        "ed25519_verify_per_s": round(verify_rate),
        "audit_vs_raw_verify": round(audit_rate / verify_rate, 2),
        "target_audit_vs_raw_verify": 0.8,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--licences", type=int, default=5000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        services = build(url, Path(tmp) / "ledger-key.pem", args.licences)
        try:
            figures = measure(services)
        finally:
            services.close()
    figures.update(database=url.split("://")[0], licences=args.licences,
                   python=platform.python_version(), machine=platform.machine(),
                   processor=platform.processor() or platform.machine())
    table("transparency log and audit", ["figure", "value"],
          [(k, v) for k, v in figures.items()])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
