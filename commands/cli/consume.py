"""``ledger consume | post | loadgen``: the Kafka side of the console script.

:func:`register` adds the subcommands to the ``ledger`` parser; each handler returns
the exit code (0 done, 1 done but something was refused or missing, 2 bad input or
configuration). Configuration comes from the environment (see
:mod:`commands.settings` and :mod:`consumers.config`); flags override it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from commands.bootstrap import Services, bootstrap
from commands.settings import Settings, load_settings
from consumers.config import KafkaOptions, kafka_options
from consumers.kafka_io import Backoff, connect
from consumers.loadgen import LoadGenerator
from consumers.producer import InputError, Signer, post, prepare, read_lines
from consumers.results_reader import ResultsReader
from consumers.store_watch import StoreWatch
from ledger.errors import ConfigurationError


def register(sub: Any) -> None:
    """Add ``consume``, ``post`` and ``loadgen`` to an argparse subparsers object."""
    p = sub.add_parser("consume", help="apply commands from Kafka (one member of the group)")
    p.add_argument("--until-idle", type=float, metavar="SECONDS",
                   help="exit 0 after SECONDS with no new records (default: until SIGTERM)")
    _kafka_flags(p)
    p.set_defaults(func=consume)

    p = sub.add_parser("post", help="post JSON-lines commands to the commands topic")
    p.add_argument("file", help="JSON lines (signed envelopes, or unsigned with --keys); '-'"
                   " for stdin")
    p.add_argument("--keys", type=Path, metavar="DIR",
                   help="sign unsigned lines with DIR/<actor USCC>.pem")
    p.add_argument("--wait", type=float, metavar="SECONDS",
                   help="then wait up to SECONDS for every result and count them")
    p.add_argument("--timeout", type=float, default=15.0, metavar="SECONDS",
                   help="give up if no broker answers for this long (default 15)")
    p.add_argument("--dry-run", action="store_true",
                   help="print KEY<TAB>COMMAND lines instead of posting (for kcat -K '\\t')")
    _kafka_flags(p, consumer=False)
    p.set_defaults(func=post_file)

    p = sub.add_parser("loadgen", help="write a signed command stream (JSON lines) to stdout")
    p.add_argument("--licences", type=int, required=True, metavar="N")
    p.add_argument("--seed", type=int, default=1, metavar="S")
    p.add_argument("--bad-ratio", type=float, default=0.0, metavar="R",
                   help="fraction of deliberately invalid commands (0 <= R < 1)")
    p.add_argument("--keys", type=Path, metavar="DIR",
                   help="write every department's key to DIR/<USCC>.pem")
    p.set_defaults(func=loadgen)


def _kafka_flags(p: argparse.ArgumentParser, consumer: bool = True) -> None:
    p.add_argument("--bootstrap-servers", metavar="HOST:PORT",
                   help="overrides KAFKA_BOOTSTRAP_SERVERS")
    p.add_argument("--topic", dest="commands_topic", metavar="NAME",
                   help="overrides LEDGER_COMMANDS_TOPIC")
    if consumer:
        p.add_argument("--group", metavar="ID", help="overrides LEDGER_CONSUMER_GROUP")
        p.add_argument("--batch-size", type=int, metavar="N",
                       help="overrides LEDGER_BATCH_SIZE (records per transaction at most)")


def options_from(args: argparse.Namespace, settings: Settings) -> KafkaOptions:
    """Settings from the environment, then the flags given."""
    if args.bootstrap_servers:
        settings = replace(settings, kafka_bootstrap_servers=args.bootstrap_servers)
    options = kafka_options(settings)
    batch_size = getattr(args, "batch_size", None)
    if batch_size is not None and batch_size < 1:
        raise ConfigurationError(f"--batch-size {batch_size}: expected at least 1")
    return options.with_overrides(commands_topic=args.commands_topic,
                                  group=getattr(args, "group", None), batch_size=batch_size)


def consume(args: argparse.Namespace) -> int:
    from consumers.command_consumer import CommandConsumer

    logging.getLogger("ledger.consumers").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    options = options_from(args, settings)
    watch = StoreWatch()
    services = open_services(settings, watch, give_up_after=args.until_idle)
    try:
        watch.attach(services)
        consumer = CommandConsumer(services, options, watch, connect_timeout=args.until_idle)

        def graceful(signum: int, frame: FrameType | None) -> None:
            logging.getLogger("ledger.consumers").info(
                "signal %d: finishing the batch in hand, then stopping", signum)
            consumer.stop()
            signal.signal(signum, signal.SIG_DFL)  # a second signal stops at once

        signal.signal(signal.SIGTERM, graceful)
        signal.signal(signal.SIGINT, graceful)
        return consumer.run(args.until_idle)
    finally:
        services.close()


def open_services(settings: Settings, watch: StoreWatch, give_up_after: float | None
                  ) -> Services:
    """Bootstrap, retrying while the database cannot be opened.

    Consumers often start together, or before PostgreSQL is ready: eventsourcing's
    table creation then fails in all but one of them, and a second try succeeds.
    """
    log = logging.getLogger("ledger.consumers")
    backoff, started = Backoff(), time.monotonic()
    while True:
        try:
            return bootstrap(settings, after_commit=watch.committed)
        except ConfigurationError as exc:
            waited = time.monotonic() - started
            unreachable = exc.message.startswith("cannot open the ledger database")
            if not unreachable or (give_up_after is not None and waited >= give_up_after):
                raise
            delay = backoff.next()
            log.warning("%s; retrying in %.1fs", exc.message, delay)
            time.sleep(delay)


def post_file(args: argparse.Namespace) -> int:
    try:
        commands = prepare(read_lines(args.file), Signer(args.keys), args.file)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        out = sys.stdout.buffer
        for c in commands:  # JSON escapes tabs inside strings: the first tab splits
            out.write(c.key + b"\t" + c.value + b"\n")
        out.flush()
        return 0
    options = options_from(args, load_settings())
    reader = (connect(lambda: ResultsReader(options), options, "reading results", args.timeout)
              if args.wait else None)
    summary = post(commands, options, args.timeout)
    parts = ", ".join(f"{p}: {n}" for p, n in sorted(summary.partitions.items()))
    print(f"posted {summary.posted} commands to {options.commands_topic}"
          f" ({summary.signed_here} signed here; per partition {parts or '-'})")
    if reader is None:
        return 0
    try:
        answers = reader.wait(summary.command_ids, args.wait)
    finally:
        reader.close()
    counts = Counter(a.get("status", "?") for a in answers.values())
    missing = len(set(summary.command_ids)) - len(answers)
    print(f"results: {counts['accepted']} accepted, {counts['rejected']} rejected,"
          f" {missing} not answered within {args.wait:.0f}s")
    for body in answers.values():
        if body.get("status") == "rejected":
            print(orjson.dumps(body).decode())
    return 0 if missing == 0 and counts["rejected"] == 0 else 1


def loadgen(args: argparse.Namespace) -> int:
    if args.licences < 0:
        raise ConfigurationError(f"--licences {args.licences}: expected 0 or more")
    generator = LoadGenerator(args.seed)
    if args.keys is not None:
        generator.write_keys(args.keys)
    out = sys.stdout.buffer
    for envelope in generator.stream(args.licences, args.bad_ratio):
        out.write(orjson.dumps(envelope) + b"\n")
    out.flush()
    return 0
