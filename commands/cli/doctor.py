"""``ledger doctor``: is this set-up ready, and if not, what to do about it."""

from __future__ import annotations

import argparse
import json
import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from commands.cli.output import result_table
from commands.setting_sections import FileSettings
from commands.settings import Settings, load_settings
from ledger.errors import LedgerError
from ledger.integrity.signing import load_signing_key
from ledger.store.event_store import EventStore, redact, sqlite_path
from ledger.store.read_database import own_file
from ledger.store.sql import ProjectionDB
from projections.registry import all_projections

OK, PROBLEM, NOTE = "ok", "PROBLEM", "note"
Check = tuple[str, str, str]  # (what, status, detail or what to do)

HELP = """\
Checks the set-up and says what to fix: the database (reachable, holding a ledger), the
read models (how far behind the ledger they are), the ledger key, the departments' command
keys and file-signing certificates in LEDGER_KEYS_DIR, the face font, pdfsig (an
independent PDF signature checker), and the Kafka broker when KAFKA_BOOTSTRAP_SERVERS is set.

exit codes: 0 nothing to fix (notes may remain); 1 at least one PROBLEM.
"""


def register(sub: Any) -> None:
    p = sub.add_parser("doctor", help="check the set-up and say what to fix",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print a JSON list of checks")
    p.set_defaults(func=doctor)


def doctor(args: argparse.Namespace) -> int:
    settings = load_settings()
    fs = settings.files
    checks: list[Check] = []
    for step in (_database, _read_models, _ledger_key, _keys, _font, _pdfsig, _broker):
        checks += step(settings, fs)
    if args.json:
        print(json.dumps([{"check": c, "status": s, "detail": d} for c, s, d in checks],
                         ensure_ascii=False, indent=2))
    else:
        result_table("ledger doctor", ["check", "status", "detail / what to do"], checks)
    return 1 if any(s == PROBLEM for _, s, _ in checks) else 0


def _no_ledger_file(settings: Settings) -> bool:
    """An embedded ledger whose file does not exist (doctor creates nothing)."""
    path = sqlite_path(settings.database_url)
    return path is not None and not Path(path).exists()


def _database(settings: Settings, _fs: FileSettings) -> list[Check]:
    shown = redact(settings.database_url)
    if _no_ledger_file(settings):
        return [("database", PROBLEM, f"{shown}: no ledger yet; run `ledger demo` (or"
                 " `ledger apply FILE`), or set LEDGER_DATABASE_URL")]
    try:
        store = EventStore(settings.database_url, create_table=False)
    except LedgerError as exc:
        return [("database", PROBLEM, exc.message)]
    try:
        events = store.max_notification_id()
    except Exception as exc:  # the tables are missing: a database that was never used
        return [("database", PROBLEM, f"{shown} is reachable but holds no ledger tables"
                 f" ({' '.join(str(exc).split())[:120]}); run `ledger demo` or `ledger apply`")]
    finally:
        store.close()
    if events == 0:
        return [("database", NOTE, f"{shown}: reachable, empty; `ledger demo` fills it")]
    return [("database", OK, f"{shown}: {events:,} events")]


def _read_models(settings: Settings, _fs: FileSettings) -> list[Check]:
    """How far the read models (show, wallet, stats, the pages) are behind the ledger: a
    note, not a problem (`ledger project` or a running `project --follow` catches up).
    Only reads: a database without a ledger was reported above and is left untouched."""
    if _no_ledger_file(settings):
        return []
    try:
        store = EventStore(settings.database_url, create_table=False)
        try:
            head = store.max_notification_id()
        finally:
            store.close()
        own = own_file(settings.database_url)
        if own is not None and not own.exists():  # not created here: doctor only reads
            return [("read models", NOTE, "not built yet; `ledger project` builds them")]
        db = ProjectionDB(settings.read_models_url)
        try:
            rows = db.query("SELECT name, position FROM projection_positions")
        finally:
            db.close()
    except Exception:  # no ledger or no read models yet: the database line says which
        return [("read models", NOTE, "not built yet; `ledger project` builds them")]
    wanted = {p.name for p in all_projections()}
    positions = {str(name): int(pos) for name, pos in rows if name in wanted}
    behind = head - min((positions.get(name, 0) for name in wanted), default=head)
    if behind > 0:
        return [("read models", NOTE, f"{behind:,} event(s) behind the ledger; run `ledger"
                 " project` (or keep `ledger project --follow` running)")]
    return [("read models", OK, f"up to date with the ledger ({head:,} events)")]


def _ledger_key(settings: Settings, _fs: FileSettings) -> list[Check]:
    path = settings.key_file
    if not path.exists():
        return [("ledger key", NOTE, f"{path} does not exist yet; the first write creates"
                 " it (set LEDGER_KEY_FILE to use another)")]
    try:
        load_signing_key(path)
    except LedgerError as exc:
        return [("ledger key", PROBLEM, exc.message)]
    if path.stat().st_mode & 0o077:
        return [("ledger key", PROBLEM, f"{path} can be read by others: chmod 600 {path}")]
    return [("ledger key", OK, str(path))]


def _keys(_settings: Settings, fs: FileSettings) -> list[Check]:
    codes = sorted(p.name.removesuffix(".pem") for p in fs.keys_dir.glob("*.pem")
                   if len(p.name) == 22)  # <18-char USCC>.pem: a department's command key
    if not codes:
        return [("department keys", PROBLEM, f"no <USCC>.pem in {fs.keys_dir}: run `ledger"
                 " demo`, or put each department's command key there (LEDGER_KEYS_DIR)")]
    checks: list[Check] = [("department keys", OK, f"{len(codes)} in {fs.keys_dir}")]
    from licence_files.certificates import load_signer  # pyHanko: only when needed

    for code in codes:
        try:
            load_signer(fs, code).check_usable(datetime.now(UTC))
        except LedgerError as exc:
            fix = (f"; run `ledger keys issue-file-cert --department {code} --ca-cert PEM"
                   " --ca-key PEM`")
            checks.append((f"file certificate {code}", PROBLEM, exc.message + fix))
        else:
            checks.append((f"file certificate {code}", OK, "key, chain and CRL usable"))
    return checks


def _font(_settings: Settings, fs: FileSettings) -> list[Check]:
    if fs.font_file.exists():
        return [("face font", OK, str(fs.font_file))]
    return [("face font", PROBLEM, f"{fs.font_file} is missing: install fonts-wqy-microhei"
             " (apt-get install fonts-wqy-microhei) or set LEDGER_FONT_FILE to a CJK font")]


def _pdfsig(_settings: Settings, _fs: FileSettings) -> list[Check]:
    found = shutil.which("pdfsig")
    if found:
        return [("pdfsig", OK, found)]
    return [("pdfsig", NOTE, "not installed (apt-get install poppler-utils): an independent"
             " check of PDF signatures, used by the tests")]


def _broker(settings: Settings, _fs: FileSettings) -> list[Check]:
    servers = settings.kafka_bootstrap_servers
    if not servers:
        return [("Kafka broker", NOTE, "KAFKA_BOOTSTRAP_SERVERS unset: embedded mode")]
    for server in (s.strip() for s in servers.split(",") if s.strip()):
        host, _, port = server.rpartition(":")
        try:
            socket.create_connection((host or server, int(port or 9092)), 2.0).close()
        except (OSError, ValueError) as exc:
            return [("Kafka broker", PROBLEM, f"{server}: {exc}; is the broker running, and"
                     " is KAFKA_BOOTSTRAP_SERVERS right?")]
    return [("Kafka broker", OK, servers)]
