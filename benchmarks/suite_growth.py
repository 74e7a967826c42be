"""Growth: the same ledger measured at 10k, 100k (and 1M) licences.

One loader child applies licences through the bus up to each size and stays alive
between sizes, like a consumer does. At each size two more children run the real
``ledger audit --json`` (the whole history) and ``ledger project`` (catch up from the
last size); every child's peak RSS is its own. The reads (audit and catch-up beside their
baselines at the first size, where the children ran from zero; show and verify latency
at every size) run here.
Cost per command should stay constant, audit and catch-up time linear in history, RSS
flat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import suite_reads
from benchmarks.suite_env import Child, ledger_env, pg_schema, run_child
from commands.bootstrap import Services, bootstrap
from commands.settings import load_settings
from ledger.integrity.signing import SigningKey, save_signing_key

CHILD = ["-m", "benchmarks.suite_child"]


def growth(base: str, sizes: list[int], batch: int, work: Path, lookups: int,
           verifies: int, say: Any) -> dict[str, Any]:
    points: list[dict[str, Any]] = []
    key = work / "growth-key.pem"
    save_signing_key(SigningKey.generate(), key)
    out: dict[str, Any] = {"sizes": sizes, "batch": batch, "points": points}
    with pg_schema(base, "growth") as url:
        env = ledger_env(url, key)
        loader = Child.start([*CHILD, "load", "--licences", str(max(sizes)),
                              "--batch", str(batch)], env, stdin=True, log=work / "loader.log")
        services: Services | None = None
        verifier: suite_reads.Verifier | None = None
        projected = 0
        try:
            for size in sizes:
                say(f"growth: loading to {size:,} licences")
                point: dict[str, Any] = {"licences": size, "load": loader.ask(str(size))}
                if services is None:  # after the loader made the tables (never both at once)
                    services = bootstrap(load_settings(env), lane="bench-reads")
                    verifier = suite_reads.Verifier(services)
                suite_reads.analyse(services)
                say(f"growth: ledger audit and ledger project at {size:,}")
                point["audit"] = _per_event(run_child([*CHILD, "audit"], env, work / "audit.log"),
                                            services.store.max_notification_id())
                head = services.store.max_notification_id()
                point["project"] = _per_event(run_child([*CHILD, "project"], env,
                                                        work / "project.log"), head - projected)
                projected = head
                suite_reads.analyse(services, read_models=True)
                if size == sizes[0]:  # the children ran from zero: their baselines now
                    say("reads: audit and catch-up beside their baselines")
                    out["audit"] = suite_reads.audit(services, point["audit"])
                    out["catch_up"] = suite_reads.catch_up(services, point["project"])
                say(f"reads: show and verify latency at {size:,}")
                point["show"] = suite_reads.show_latency(services, lookups)
                assert verifier is not None
                point["verify"] = verifier.latency(verifies)
                points.append(point)
        finally:
            if services is not None:
                services.close()
            out["loader_rss_mb"] = loader.finish()
    out["summary"] = summary(points)
    return out


def _per_event(answer: dict[str, Any], events: int) -> dict[str, Any]:
    if answer.get("exit") not in (0, 1):  # 1: the audit found a problem (reported)
        raise RuntimeError(f"a growth child failed: {answer}")
    events = int(answer.get("events") or events)
    seconds = float(answer["seconds"])
    return {**answer, "events": events,
            "events_per_s": round(events / seconds) if seconds else None,
            "us_per_event": round(seconds / max(events, 1) * 1e6, 2)}


def summary(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Last size against the first: ~1.0 means constant per command/event. Memory: the
    last size against the one before (~1.0 means flat), since a writer's state cache and
    the audit's checkpoint window fill in the first tens of thousands of licences by
    design, and what matters is that the peak stops growing with history after that."""
    first, last = points[0], points[-1]
    before = points[-2] if len(points) > 1 else first

    def grow(path: tuple[str, str], base: dict[str, Any] = first) -> float | None:
        a, b = base[path[0]][path[1]], last[path[0]][path[1]]
        return round(b / a, 2) if a and b else None

    return {
        "from_licences": first["licences"], "to_licences": last["licences"],
        "history_ratio": round(last["licences"] / first["licences"], 1),
        "per_command_us_ratio": grow(("load", "per_command_us")),
        "audit_us_per_event_ratio": grow(("audit", "us_per_event")),
        "project_us_per_event_ratio": grow(("project", "us_per_event")),
        "rss_from_licences": before["licences"],
        "loader_rss_ratio": grow(("load", "peak_rss_mb"), before),
        "audit_rss_ratio": grow(("audit", "rss_mb"), before),
        "project_rss_ratio": grow(("project", "rss_mb"), before),
        "show_p99_ratio": grow(("show", "p99_ms")),
    }
