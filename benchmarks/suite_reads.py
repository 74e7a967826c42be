"""Reading the ledger: audit, projection catch-up and per-licence latency, with baselines.

* audit (``ledger audit``, and ``audit_rows`` over rows in memory) beside the same number
  of raw Ed25519 verifications (pyca/cryptography) of a command-sized message;
* projection catch-up from zero (``ledger project`` on a fresh ledger) beside reading the
  same notification pages the runner reads (same windows, same topics), raw and decoded;
* ``ledger show`` (``get_licence`` on the read models) and verify (one signed
  ``VerifyLicence`` command through the bus, its own transaction) latencies.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks.suite_env import percentiles, ratio
from commands.bootstrap import Services
from commands.demo.scenario import Scenario
from ledger.integrity.audit import audit_rows
from ledger.integrity.canonical import format_instant
from ledger.integrity.mapper import decode_stored
from projections.engine import runner as runner_module
from projections.models.queries import get_licence

COMMAND_BYTES = 600  # about the size of a signed IssueLicence envelope's signing bytes


def raw_verify(count: int) -> float:
    """Seconds for ``count`` Ed25519 verifications (the baseline of the audit)."""
    key = Ed25519PrivateKey.generate()
    message = bytes(random.Random(3).getrandbits(8) for _ in range(COMMAND_BYTES))
    signature, public = key.sign(message), key.public_key()
    started = time.perf_counter()
    for _ in range(count):
        public.verify(signature, message)
    return time.perf_counter() - started


def audit(services: Services, ledger_audit: dict[str, Any]) -> dict[str, Any]:
    """``ledger audit`` (timed in its child) and ``audit_rows`` on rows already in memory,
    beside as many raw verifications as events."""
    started = time.perf_counter()
    rows = list(services.store.iter_rows())
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    report = audit_rows(iter(rows))
    memory_s = time.perf_counter() - started
    del rows
    events, db_s = report.events, float(ledger_audit["seconds"])
    verify_s = raw_verify(events)
    signatures = report.commands + report.batches
    return {
        "ok": report.ok, "events": events, "commands": report.commands,
        "batches": report.batches, "signatures_per_event": round(signatures / events, 3),
        "read_s": round(read_s, 3), "audit_in_memory_s": round(memory_s, 3),
        "audit_s": round(db_s, 3), "raw_verify_s": round(verify_s, 3),
        "audit_events_per_s": round(events / db_s),
        "audit_in_memory_events_per_s": round(events / memory_s),
        "raw_verify_per_s": round(events / verify_s),
        "audit_vs_raw_verify": ratio(verify_s, db_s),
        "audit_in_memory_vs_raw_verify": ratio(verify_s, memory_s),
    }


def read_pages(services: Services, topics: list[str], decode: bool, head: int) -> int:
    """The runner's reads without applying anything: its windows, its topic filter."""
    recorder, page = services.store.recorder, runner_module.PAGE
    start, n = 1, 0
    while start <= head:
        last = min(head, start + page - 1)
        rows = recorder.select_notifications(start, page, stop=last, topics=topics)
        if decode:
            for row in rows:
                decode_stored(row)
        n += len(rows)
        start = last + 1
    return n


def catch_up(services: Services, project: dict[str, Any]) -> dict[str, Any]:
    """``ledger project`` from zero (timed in its child) beside the runner's reads alone."""
    runner = services.projections
    topics = sorted(set().union(*(p.topics for p in runner.projections)))
    head, seconds = int(project["events"]), float(project["seconds"])
    started = time.perf_counter()
    raw = read_pages(services, topics, decode=False, head=head)
    raw_s = time.perf_counter() - started
    started = time.perf_counter()
    read_pages(services, topics, decode=True, head=head)
    decoded_s = time.perf_counter() - started
    return {
        "log_events": head, "projection_topic_events": raw,
        "raw_read_s": round(raw_s, 3), "raw_decoded_s": round(decoded_s, 3),
        "catch_up_s": round(seconds, 3),
        "raw_read_events_per_s": round(raw / raw_s),
        "raw_decoded_events_per_s": round(raw / decoded_s),
        "catch_up_events_per_s": round(raw / seconds),
        "catch_up_log_events_per_s": round(head / seconds),
        "catch_up_vs_raw_read": ratio(raw_s, seconds),
        "catch_up_vs_raw_decoded": ratio(decoded_s, seconds),
    }


def analyse(services: Services, read_models: bool = False) -> None:
    """Planner statistics as autovacuum would soon have them (stale after a bulk load)."""
    if services.read_db.dialect != "postgres":
        return
    tables = [getattr(services.store.recorder, "events_table_name", "")]
    if read_models:
        tables += [t for p in services.projections.projections for t in p.tables]
    for table in filter(None, tables):
        services.read_db.execute(f"ANALYZE {table}")


def identifiers(services: Services, k: int, seed: int) -> list[str]:
    ids = [str(r[0]) for r in services.read_db.query("SELECT identifier FROM licence_versions")]
    rng = random.Random(seed)
    return [rng.choice(ids) for _ in range(k)]


def show_latency(services: Services, k: int) -> dict[str, Any]:
    chosen = identifiers(services, k + 50, seed=5)
    for ident in chosen[:50]:  # warm the connection and the plan cache
        get_licence(services.read_db, ident)
    samples = []
    for ident in chosen[50:]:
        started = time.perf_counter()
        get_licence(services.read_db, ident)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


class Verifier:
    """Signs ``VerifyLicence`` commands as the scenario's using departments (seed 1)."""

    def __init__(self, services: Services) -> None:
        now = lambda: format_instant(datetime.now(UTC))  # noqa: E731
        # Same seed, so the same department keys; fresh command ids (the seed's are taken).
        self.services, self.scenario = services, Scenario(1, now, lambda: str(uuid.uuid4()))
        self.grants: dict[str, str] = {}

    def grant(self) -> None:
        s, today = self.scenario, datetime.now(UTC).date()
        fields = sorted({f["name"] for d in s.city.types.values() for f in d["face_fields"]})
        commands = []
        for user in s.using_departments:
            self.grants[user.code] = s.ids()
            commands.append(s.sign(s.city.management, "GrantFunctionalUse", {
                "grant_id": self.grants[user.code], "department": user.code,
                "type_codes": list(s.city.types), "fields": fields[:3],
                "valid_from": (today - timedelta(days=1)).isoformat(),
                "valid_until": (today + timedelta(days=365)).isoformat(),
                "daily_cap": None, "scenarios": ["MATTER-001"]}))
        results = self.services.bus.execute(commands)
        refused = [r.line() for r in results if not r.accepted]
        if refused:
            raise RuntimeError(f"granting use for the verify latency failed: {refused}")

    def latency(self, k: int) -> dict[str, Any]:
        if not self.grants:
            self.grant()
        users = self.scenario.using_departments
        samples, refused = [], 0
        for i, ident in enumerate(identifiers(self.services, k, seed=9)):
            user = users[i % len(users)]
            command = self.scenario.sign(user, "VerifyLicence", {
                "identifier": ident, "mode": "function", "grant_id": self.grants[user.code],
                "matter_code": "MATTER-001", "case_number": f"BENCH-{i:07d}",
                "operator": "officer-bench", "purpose": "benchmark"})
            started = time.perf_counter()
            result = self.services.bus.execute([command])[0]
            samples.append((time.perf_counter() - started) * 1000)
            refused += not result.accepted
        return {**percentiles(samples), "refused": refused}
