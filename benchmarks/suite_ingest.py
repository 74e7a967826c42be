"""Ingest in-process: the ledger beside plain eventsourcing and raw inserts of its rows.

The ledger applies signed commands with ``MessageBus.execute`` in batches. The baselines
then store *the very events the ledger stored*, batch for batch (a batch ends at its
``BatchSealed`` row), with no signing, authorisation or hashing:

* ``eventsourcing``: an ``Application`` saving simple aggregates, one per ledger stream,
  one event per ledger event, payload padded to the ledger row's size, one ``save`` per
  batch (what a plain eventsourcing service would do);
* ``recorder``: eventsourcing's recorder ``insert_events`` with the ledger's own rows;
* ``raw``: psycopg binary COPY (PostgreSQL) or sqlite3 ``executemany`` of the same rows,
  one transaction per batch, no global-order lock: the floor.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from benchmarks import suite_reads
from benchmarks.suite_env import ledger_env, pg_schema, ratio, run_child
from commands.bootstrap import bootstrap
from commands.replay.run import replay_store
from commands.settings import load_settings
from consumers.loadgen import LoadGenerator
from ledger.store.event_store import persistence_env

Batches = list[list[StoredEvent]]


class Item(Aggregate):
    """The simplest aggregate: one string field, one event type."""

    def __init__(self, id: UUID, payload: str) -> None:
        self._id = id
        self.payload = payload

    @event("Recorded")
    def record(self, payload: str) -> None:
        self.payload = payload


def command_lines(licences: int, seed: int = 1) -> list[bytes]:
    """What ``ledger loadgen`` writes: set-up, grants, N licences with reads, their lifecycle
    (signed)."""
    return [orjson.dumps(e) for e in LoadGenerator(seed).stream(licences)]


def run_ledger(url: str, key: Path, lines: list[bytes], batch: int) -> tuple[float, Batches]:
    services = bootstrap(load_settings(ledger_env(url, key)))
    try:
        started = time.perf_counter()
        for i in range(0, len(lines), batch):
            services.bus.execute(lines[i:i + batch])
        seconds = time.perf_counter() - started
        batches: Batches = [[]]
        for _, row in services.store.iter_rows():
            batches[-1].append(StoredEvent(row.originator_id, row.originator_version,
                                           row.topic, bytes(row.state)))
            if row.topic == "BatchSealed":
                batches.append([])
    finally:
        services.close()
    return seconds, [b for b in batches if b]


def run_replay(url: str, key: Path, ingest_s: float, events: int) -> dict[str, Any]:
    """``ledger audit --replay``'s engine over the ledger just ingested: every command
    re-executed on a scratch SQLite ledger and compared byte for byte, beside ingest."""
    services = bootstrap(load_settings(ledger_env(url, key)))
    try:
        report = replay_store(services.store)
    finally:
        services.close()
    ingest = events / ingest_s
    return {"ok": report.ok, "events": report.events, "commands": report.commands,
            "seconds": round(report.seconds, 3),
            "events_per_s": round(report.events_per_second),
            "ingest_events_per_s": round(ingest),
            "replay_vs_ingest": round(report.events_per_second / ingest, 2),
            "divergence": report.divergence.to_json() if report.divergence else None}


def run_eventsourcing(url: str, batches: Batches) -> float:
    app: Application[UUID] = Application(env={**persistence_env(url), "CREATE_TABLE": "y"})
    try:
        overhead = _state_overhead(app)
        items: dict[UUID, Item] = {}
        started = time.perf_counter()
        for rows in batches:
            touched: dict[UUID, Item] = {}
            for row in rows:
                payload = "x" * max(0, len(row.state) - overhead)
                stream = UUID(str(row.originator_id))
                item = items.get(stream)
                if item is None:
                    item = items[stream] = Item(id=stream, payload=payload)
                else:
                    item.record(payload)
                touched[stream] = item
            app.save(*touched.values())
        return time.perf_counter() - started
    finally:
        app.close()


def _state_overhead(app: Application[UUID]) -> int:
    """Bytes eventsourcing adds around a payload (timestamp, field names)."""
    probe = Item(id=UUID(int=1), payload="")
    stored = app.mapper.to_stored_event(probe.collect_events()[0])
    return len(stored.state)


def run_recorder(url: str, batches: Batches) -> float:
    app: Application[UUID] = Application(env={**persistence_env(url), "CREATE_TABLE": "y"})
    try:
        started = time.perf_counter()
        for rows in batches:
            app.recorder.insert_events(rows)
        return time.perf_counter() - started
    finally:
        app.close()


def run_copy(url: str, batches: Batches) -> float:
    base, schema = url.split("?schema=")
    table = sql.Identifier(schema, "raw_events")
    with psycopg.connect(base) as conn:
        conn.execute(sql.SQL(
            "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
            " topic text, state bytea, notification_id bigserial,"
            " PRIMARY KEY (originator_id, originator_version))").format(table))
        conn.execute(sql.SQL("CREATE UNIQUE INDEX ON {} (notification_id)").format(table))
        conn.commit()
        statement = sql.SQL("COPY {} (originator_id, originator_version, topic, state)"
                            " FROM STDIN (FORMAT BINARY)").format(table)
        started = time.perf_counter()
        for rows in batches:
            with conn.cursor() as cur, cur.copy(statement) as copy:
                copy.set_types(["uuid", "int8", "text", "bytea"])
                for r in rows:
                    copy.write_row((r.originator_id, r.originator_version, r.topic, r.state))
            conn.commit()
        return time.perf_counter() - started


def run_sqlite_raw(path: Path, batches: Batches) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")  # as eventsourcing sets it
        conn.execute("CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER,"
                     " topic TEXT, state BLOB, notification_id INTEGER PRIMARY KEY,"
                     " UNIQUE (originator_id, originator_version))")
        started = time.perf_counter()
        for rows in batches:
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO raw_events (originator_id, originator_version, topic,"
                             " state) VALUES (?, ?, ?, ?)",
                             [(UUID(str(r.originator_id)).hex, r.originator_version,
                               r.topic, r.state) for r in rows])
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def figures(commands: int, batches: Batches, times: dict[str, float]) -> dict[str, Any]:
    events = sum(len(b) for b in batches)
    out: dict[str, Any] = {"commands": commands, "events": events, "batches": len(batches),
                           "events_per_command": round(events / commands, 2)}
    for name, seconds in times.items():
        out[f"{name}_s"] = round(seconds, 3)
        out[f"{name}_commands_per_s"] = round(commands / seconds)  # same events, same batches
        out[f"{name}_events_per_s"] = round(events / seconds)
    for name in times:
        if name != "ledger":
            out[f"ledger_vs_{name}"] = ratio(times[name], times["ledger"])
    return out


def ingest_postgres(base: str, licences: int, batch: int, work: Path) -> dict[str, Any]:
    lines = command_lines(licences)
    times: dict[str, float] = {}
    with pg_schema(base, "ingest") as url:
        times["ledger"], batches = run_ledger(url, work / "ingest-key.pem", lines, batch)
        replay = run_replay(url, work / "ingest-key.pem", times["ledger"],
                            sum(len(b) for b in batches))
        mix = project_mix(url, work / "ingest-key.pem", work)
    steps: dict[str, Callable[[str, Batches], float]] = {
        "eventsourcing": run_eventsourcing, "recorder": run_recorder, "raw": run_copy}
    for name, step in steps.items():
        with pg_schema(base, name) as url:
            times[name] = step(url, batches)
    return {"database": "postgresql", "batch": batch, "licences": licences,
            "raw_method": "psycopg binary COPY", **figures(len(lines), batches, times),
            "catch_up": mix, "replay": replay}


def project_mix(url: str, key: Path, work: Path) -> dict[str, Any]:
    """Projection catch-up from zero over the ingested ledger, the loadgen's mix (issuance,
    lifecycle, grants, reads and their access records), timed in its own child as the
    growth ledger's (which holds issuance only, the read models' heaviest event)."""
    services = bootstrap(load_settings(ledger_env(url, key)))
    try:
        suite_reads.analyse(services)
        head = services.store.max_notification_id()
    finally:
        services.close()
    answer = run_child(["-m", "benchmarks.suite_child", "project"], ledger_env(url, key),
                       work / "project-mix.log")
    seconds, applied = float(answer["seconds"]), int(answer["applied"])
    return {"log_events": head, "projection_topic_events": applied, "catch_up_s": seconds,
            "catch_up_events_per_s": round(applied / seconds),
            "catch_up_log_events_per_s": round(head / seconds)}


@contextmanager
def _sqlite_files() -> Iterator[Callable[[str], Path]]:
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as tmp:
        yield lambda name: Path(tmp) / f"{name}.db"


def ingest_sqlite(licences: int, batch: int, work: Path) -> dict[str, Any]:
    lines = command_lines(licences)
    with _sqlite_files() as file:
        times: dict[str, float] = {}
        url, key = f"sqlite:///{file('ledger')}", work / "ingest-sqlite-key.pem"
        times["ledger"], batches = run_ledger(url, key, lines, batch)
        replay = run_replay(url, key, times["ledger"], sum(len(b) for b in batches))
        times["eventsourcing"] = run_eventsourcing(f"sqlite:///{file('es')}", batches)
        times["recorder"] = run_recorder(f"sqlite:///{file('rec')}", batches)
        times["raw"] = run_sqlite_raw(file("raw"), batches)
    return {"database": "sqlite", "batch": batch, "licences": licences,
            "raw_method": "sqlite3 executemany", **figures(len(lines), batches, times),
            "replay": replay}
