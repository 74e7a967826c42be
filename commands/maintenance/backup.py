"""Backup and recovery (Art. 26-27): a consistent copy, restored and then proven intact.

``backup`` first publishes a checkpoint (so the copy ends with a signed statement of
its whole history), then copies: SQLite through its online backup API (a consistent
snapshot while writers continue), PostgreSQL with ``pg_dump --format=custom`` of the
ledger's schema. Beside the copy goes ``FILE.json``: its SHA-256 and that checkpoint.

``restore`` checks the copy's SHA-256, refuses to overwrite a ledger unless forced,
restores, and then verifies the result: the full audit (hashes, chains, seals,
signatures, every checkpoint against the events) and the backup's checkpoint, which
must be in the restored ledger and verify with its ledger key. See docs/backup.md.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
import psycopg
from psycopg import sql

from commands.bootstrap import bootstrap, open_store
from commands.settings import Settings
from ledger.errors import ConfigurationError, LedgerError
from ledger.integrity.audit import audit_store
from ledger.integrity.ledger_keys import LedgerKeyHistory
from ledger.integrity.mapper import decode_stored
from ledger.store.event_store import redact, sqlite_path
from ledger.store.read_database import read_models_files
from ledger.transparency.checkpoint import CheckpointError, from_json, verify_checkpoint
from ledger.transparency.checkpoint_audit import CheckpointAuditor

FORMAT: Final = "licence-ledger-backup/1"


class BackupError(LedgerError):
    """A backup cannot be made, read or restored."""

    code = "backup"


def backup(settings: Settings, out: Path, at: str) -> dict[str, Any]:
    """Publish a checkpoint, copy the ledger to ``out`` and describe it in ``out``.json."""
    if out.exists() or _sidecar(out).exists():
        raise BackupError(f"{out} (or {_sidecar(out)}) exists; backups are never overwritten")
    services = bootstrap(settings)
    try:
        checkpoint, _ = services.publish_checkpoint(services.transparency_log(), at)
    finally:
        services.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    target = _target(settings.database_url)
    if target["kind"] == "sqlite":
        _sqlite_copy(Path(target["path"]), out)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--schema={target['schema']}",
              f"--file={out}", *target["args"]], target["env"])
    description = {"format": FORMAT, "database": target["kind"], "schema": target["schema"],
                   "file": out.name, "sha256": _sha256(out), "made_at": at,
                   "checkpoint": checkpoint.to_json()}
    _sidecar(out).write_bytes(orjson.dumps(description, option=orjson.OPT_INDENT_2) + b"\n")
    return description


def restore(settings: Settings, source: Path, force: bool) -> dict[str, Any]:
    """Restore ``source`` into the configured database, then verify it (see module doc)."""
    try:
        description = orjson.loads(_sidecar(source).read_bytes())
        expected = str(description["sha256"])
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise BackupError(f"cannot read {_sidecar(source)}, the description of the backup"
                          f" ({exc})") from None
    if not source.is_file() or _sha256(source) != expected:
        raise BackupError(f"{source} is missing or its SHA-256 differs from the one recorded"
                          " when it was made: the backup is damaged; use another copy")
    target = _target(settings.database_url)
    if target["kind"] != description.get("database") or (
            target["kind"] == "postgresql" and target["schema"] != description.get("schema")):
        raise BackupError(f"the backup is of a {description.get('database')} ledger in schema"
                          f" {description.get('schema')!r}; set LEDGER_DATABASE_URL to such a"
                          f" target (now {redact(settings.database_url)})")
    if target["kind"] == "sqlite":
        _restore_sqlite(Path(target["path"]), source, force)
    else:
        _restore_postgres(target, source, force)
    return verify_restored(settings, description)


def verify_restored(settings: Settings, description: dict[str, Any]) -> dict[str, Any]:
    """Audit the configured ledger and find the backup's checkpoint in it."""
    store = open_store(settings)
    try:
        checkpoints = CheckpointAuditor()
        report = audit_store(store, observe=checkpoints.observe)
        checkpoints.fold_into(report)
        special = [decode_stored(row) for _, row in store.iter_rows() if row.topic in (
            "LedgerKeyRegistered", "LedgerKeyRetired", "CheckpointPublished")]
    finally:
        store.close()
    problems = [f"{e.stream}/{e.position}: {e.reason}" for e in report.errors]
    try:
        checkpoint = from_json(description["checkpoint"])
        verify_checkpoint(checkpoint, LedgerKeyHistory.of(special).keys)
        if checkpoint.to_event().to_data() not in [
                r.data for r in special if r.type == "CheckpointPublished"]:
            problems.append(f"the backup's checkpoint (size {checkpoint.size}) is not in the"
                            " restored ledger")
    except (CheckpointError, KeyError, ValueError) as exc:
        problems.append(f"the backup's checkpoint does not verify: {exc}")
    return {"ok": not problems, "events": report.events, "checkpoints": checkpoints.checkpoints,
            "checkpoint": description.get("checkpoint", {}).get("size"), "problems": problems}


def _restore_sqlite(path: Path, source: Path, force: bool) -> None:
    if path.exists() and path.stat().st_size > 0 and not force:
        raise BackupError(f"{path} already holds a ledger; restore refuses to overwrite it"
                          " (move it aside, or pass --force)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for derived in read_models_files(path):  # the old ledger's: built again from the copy
        derived.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(source, path)


def _sqlite_copy(source: Path, destination: Path) -> None:
    """SQLite's online backup API: a consistent snapshot even while others write."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(destination)) as dst:
        src.backup(dst)


def _restore_postgres(target: dict[str, Any], source: Path, force: bool) -> None:
    schema = target["schema"]
    with psycopg.connect(target["dsn"], autocommit=True) as conn:
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE"
                              " table_schema = %s", (schema,)).fetchone()
        if tables and tables[0] and not force:
            raise BackupError(f"schema {schema} already holds a ledger; restore refuses to"
                              " overwrite it (use another database, or pass --force)")
        # pg_restore recreates the schema itself, so it must not exist beforehand.
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target['dbname']}",
          *target["args"][:-1], str(source)], target["env"])


def _target(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if (path := sqlite_path(url)) is not None:
        return {"kind": "sqlite", "schema": None, "path": path}
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigurationError(f"cannot back up {redact(url)}: unsupported database")
    dbname = unquote(parts.path.lstrip("/"))
    # The password goes through the environment, never the command line (ps shows it).
    env = {**os.environ, "PGPASSWORD": unquote(parts.password or ""), "PGCONNECT_TIMEOUT": "10"}
    args = [f"--host={parts.hostname or '127.0.0.1'}", f"--port={parts.port or 5432}",
            f"--username={unquote(parts.username or 'postgres')}", dbname]
    return {"kind": "postgresql", "schema": parse_qs(parts.query).get("schema", ["public"])[0],
            "dbname": dbname, "args": args, "env": env,
            "dsn": parts._replace(query="").geturl()}


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise ConfigurationError(f"{command[0]} is not installed; install the PostgreSQL 15"
                                 " client tools (Debian: postgresql-client-15)")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed (exit {done.returncode}):"
                          f" {done.stderr.strip()[:2000]}")


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
