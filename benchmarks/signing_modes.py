"""Ledger signature per event or per committed batch? Measures both on this machine.

    .venv/bin/python benchmarks/signing_modes.py [--licences N] [--batch B]

For the same signed commands it reports the ledger's signing cost and the auditor's
verification cost (a) if every stored event carried its own ledger signature and (b)
with one seal per batch (what the ledger does), plus the real ingest rate of the ledger
with one command per transaction and with B commands per transaction (SQLite, temp file).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from commands.bootstrap import bootstrap
from commands.cli.output import table
from commands.demo.scenario import Scenario
from commands.settings import load_settings
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey


def ingest(n: int, batch: int, folder: Path) -> tuple[float, int]:
    settings = load_settings({"LEDGER_DATABASE_URL": f"sqlite:///{folder}/b{batch}.db",
                              "LEDGER_KEY_FILE": str(folder / f"k{batch}.pem"),
                              "LEDGER_INLINE_PROJECTIONS": "no"})
    services = bootstrap(settings)
    scenario = Scenario(1, lambda: format_instant(datetime.now(UTC)))
    services.bus.execute(list(scenario.setup()))
    commands = list(scenario.issue(n))
    started = time.perf_counter()
    for i in range(0, len(commands), batch):
        services.bus.execute(commands[i:i + batch])
    elapsed = time.perf_counter() - started
    events = services.store.max_notification_id()
    services.close()
    return len(commands) / elapsed, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--licences", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    key = SigningKey.generate()
    message = b"x" * 32
    rounds = 3000
    t = time.perf_counter()
    for _ in range(rounds):
        signature = key.sign(message)
    sign_us = (time.perf_counter() - t) / rounds * 1e6
    public = key.public_key
    from ledger.integrity.signing import verify

    t = time.perf_counter()
    for _ in range(rounds):
        verify("ed25519", public, message, signature)
    verify_us = (time.perf_counter() - t) / rounds * 1e6
    with tempfile.TemporaryDirectory() as tmp:
        single, events = ingest(args.licences, 1, Path(tmp))
        batched, _ = ingest(args.licences, args.batch, Path(tmp))
    per_command = events / (args.licences + 7)
    table("ledger signature: per event vs per batch", ["measure", "per event", "per batch"], [
        ("ledger signatures per 1,000 commands", round(1000 * per_command),
         round(1000 / args.batch, 1)),
        ("signing µs per command", round(sign_us * per_command, 1),
         round(sign_us / args.batch, 2)),
        ("audit: ledger-signature checks per 1,000 commands", round(1000 * per_command),
         round(1000 / args.batch, 1)),
        ("audit µs per command for ledger signatures", round(verify_us * per_command, 1),
         round(verify_us / args.batch, 2)),
    ])
    table("ingest on SQLite (signed commands/s)", ["transaction size", "commands/s"], [
        ("1 command (one seal per command)", round(single)),
        (f"{args.batch} commands (one seal per batch)", round(batched)),
    ])
    print(f"Ed25519 sign {sign_us:.1f} µs, verify {verify_us:.1f} µs;"
          f" {per_command:.2f} stored events per issue command")


if __name__ == "__main__":
    main()
