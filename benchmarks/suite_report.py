"""The issue's targets checked against a run, and the run as tables on the terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commands.cli.output import result_table as table  # the run's results: on stdout

MB_CONSUMER, MB_AUDIT, FLAT = 300, 500, 1.5


def _get(report: dict[str, Any], *path: str | int) -> Any:
    value: Any = report
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: measured value, PASS/MISS, or n/a with the reason."""
    last = _get(r, "growth", "points", -1) or {}
    at = f"at {last.get('licences', 0):,} licences"
    es = _get(r, "ingest", "postgresql", "eventsourcing_commands_per_s")
    e2e = _get(r, "kafka", "e2e_steady_per_s")
    summary = _get(r, "growth", "summary") or {}
    rows: list[tuple[str, str, Any, Callable[[Any], bool]]] = [
        ("end to end through Kafka (commands/s)", ">= 4,000", e2e, lambda v: v >= 4000),
        ("end to end vs unsigned batched eventsourcing", ">= 1.0",
         round(e2e / es, 3) if e2e and es else None, lambda v: v >= 1.0),
        ("core utilisation (end to end ÷ CPU bound, 2 cores)", ">= 0.75",
         _get(r, "kafka", "core_utilisation"), lambda v: v >= 0.75),
        ("in-process ingest vs unsigned batched eventsourcing", ">= 0.50",
         _get(r, "ingest", "postgresql", "ledger_vs_eventsourcing"), lambda v: v >= 0.5),
        ("audit vs raw Ed25519 verify (events/s ratio)", ">= 0.80",
         _get(r, "growth", "audit", "audit_vs_raw_verify"), lambda v: v >= 0.8),
        ("projection catch-up, loadgen mix (events/s)", ">= 20,000",
         _get(r, "ingest", "postgresql", "catch_up", "catch_up_events_per_s"),
         lambda v: v >= 20000),
        (f"ledger show p99 (ms) {at}", "<= 5", _get(last, "show", "p99_ms"),
         lambda v: v <= 5),
        ("Kafka consumer peak RSS (MB)", f"< {MB_CONSUMER}",
         _get(r, "kafka", "consumer_rss_mb"), lambda v: v < MB_CONSUMER),
        (f"consumer-like loader peak RSS (MB) {at}", f"< {MB_CONSUMER}",
         _get(last, "load", "peak_rss_mb"), lambda v: v < MB_CONSUMER),
        (f"projection runner peak RSS (MB) {at}", f"< {MB_CONSUMER}",
         _get(last, "project", "rss_mb"), lambda v: v < MB_CONSUMER),
        (f"ledger audit peak RSS (MB) {at}", f"< {MB_AUDIT}",
         _get(last, "audit", "rss_mb"), lambda v: v < MB_AUDIT),
    ]
    for name, key in (("loader", "loader_rss_ratio"), ("projection runner", "project_rss_ratio"),
                      ("ledger audit", "audit_rss_ratio")):
        rows.append((f"{name} RSS flat (largest / previous size)", f"<= {FLAT}",
                     summary.get(key), lambda v: v <= FLAT))
    diverged = [(db, i["replay"]["divergence"]) for db, i in (r.get("ingest") or {}).items()
                if i.get("replay") and not i["replay"]["ok"]]
    rows.append(("ledger audit --replay re-derives the ingested history", "no divergence",
                 f"DIVERGED on {diverged[0][0]}: {diverged[0][1]}" if diverged else
                 ("ok" if _get(r, "ingest", "postgresql", "replay") else None),
                 lambda v: v == "ok"))
    failed = [p for p in _get(r, "growth", "points") or [] if not p["audit"]["ok"]]
    rows.append(("ledger audit finds every row intact at every size", "no problem",
                 f"FAILED at {failed[0]['licences']:,}: {failed[0]['audit']['first_error']}"
                 if failed else "ok", lambda v: v == "ok"))
    out = []
    for name, target, value, ok in rows:
        status = "n/a" if value is None else ("PASS" if ok(value) else "MISS")
        out.append({"target": name, "bound": target, "value": value, "status": status})
    return out


def _round(value: Any) -> Any:
    return round(value, 2) if isinstance(value, float) else value


def _cpu(k: dict[str, Any]) -> None:
    """CPU per command by process, what bounds the rate on 2 cores, and the writer's split."""
    table(f"end to end through Kafka: CPU per command (LEDGER_VERIFY_WORKERS="
          f"{k.get('verify_workers_setting', '?')}, load average {_round(k.get('load_average'))})",
          ["process", "CPU µs/command"], [
              ("consumer: writer", k.get("writer_cpu_us_per_command")),
              ("consumer: verify workers", k.get("verify_workers_cpu_us_per_command")),
              ("PostgreSQL backends", k.get("postgres_cpu_us_per_command")),
              ("broker (Tansu)", k.get("broker_cpu_us_per_command")),
              ("CPU bound with both cores busy (commands/s)", k.get("cpu_bound_per_s_2_cores")),
              ("core utilisation (end to end ÷ that bound)", k.get("core_utilisation"))])
    tenths = k.get("tenths_per_s")
    if tenths:  # where the steady rate is lost: set-up and parking first, barriers last
        table("end to end through Kafka: commands/s in each tenth of the stream (the middle"
              f" 10-90 %: {k.get('middle_per_s')}/s)", ["tenth", "commands/s"],
              [(f"{i * 10}-{i * 10 + 10} %", rate) for i, rate in enumerate(tenths)])
    split = (k.get("split") or {}).get("us_per_command")
    wall = (k.get("split") or {}).get("wall_us_per_command") or {}
    if split:
        table("the writer's CPU per command by stage (µs; sampled shares of an unprofiled"
              " run's writer CPU) and its wall time there, waiting included (profiled run;"
              " benchmarks/suite_profile.py)", ["stage", "CPU µs/command", "wall µs/command"],
              [(stage, us, wall.get(stage, "-")) for stage, us in split.items()])


def render(r: dict[str, Any]) -> None:
    for db, ingest in (r.get("ingest") or {}).items():
        table(f"ingest in-process on {db}: {ingest['commands']:,} signed commands,"
              f" {ingest['events']:,} events, batches of {ingest['batch']}",
              ["writer", "commands/s", "events/s", "ledger ÷ it"],
              [(name, ingest[f"{key}_commands_per_s"], ingest[f"{key}_events_per_s"],
                "" if key == "ledger" else ingest[f"ledger_vs_{key}"])
               for name, key in (("ledger (signed, bus)", "ledger"),
                                 ("eventsourcing Application.save", "eventsourcing"),
                                 ("eventsourcing recorder.insert_events", "recorder"),
                                 (ingest["raw_method"], "raw"))])
    replays = [(db, i["replay"]) for db, i in (r.get("ingest") or {}).items() if i.get("replay")]
    if replays:
        table("ledger audit --replay beside ingest (same ledger, same run)",
              ["database", "events", "ingest events/s", "replay events/s", "replay ÷ ingest",
               "result"],
              [(db, x["events"], x["ingest_events_per_s"], x["events_per_s"],
                x["replay_vs_ingest"], "ok" if x["ok"] else "DIVERGED") for db, x in replays])
    k = r.get("kafka") or {}
    if k.get("available"):
        table(f"end to end through Kafka (Tansu): {k['commands']:,} commands",
              ["stage", "ledger /s", "raw kafka-python /s", "ledger ÷ raw"], [
                  ("produce (ledger post)", k["post_per_s"], k["raw_produce_per_s"],
                   k["post_vs_raw_produce"]),
                  ("consume (ledger consume, steady)", k["e2e_steady_per_s"],
                   k["raw_consume_per_s"], k["consume_vs_raw_consume"]),
                  ("produce then consume", k["e2e_sequential_per_s"], k["raw_e2e_per_s"],
                   k["e2e_vs_raw"])])
        _cpu(k)
    else:
        table("end to end through Kafka", ["figure", "reason"],
              [("unavailable", k.get("reason", "not measured"))])
    g = r.get("growth") or {}
    a, c = g.get("audit") or {}, g.get("catch_up") or {}
    if a:
        table(f"audit of {a['events']:,} events ({a['signatures_per_event']} signatures/event)",
              ["measure", "events/s", "÷ raw verify"], [
                  ("ledger audit (rows from PostgreSQL)", a["audit_events_per_s"],
                   a["audit_vs_raw_verify"]),
                  ("audit_rows, rows in memory", a["audit_in_memory_events_per_s"],
                   a["audit_in_memory_vs_raw_verify"]),
                  ("raw Ed25519 verify, same count", a["raw_verify_per_s"], 1.0)])
    if c:
        table(f"projection catch-up: {c['projection_topic_events']:,} projection events of"
              f" {c['log_events']:,}", ["measure", "events/s", "catch-up ÷ it"], [
                  ("raw notification read (runner's pages)", c["raw_read_events_per_s"],
                   c["catch_up_vs_raw_read"]),
                  ("raw read + decode", c["raw_decoded_events_per_s"],
                   c["catch_up_vs_raw_decoded"]),
                  ("catch-up from zero (issuance only)", c["catch_up_events_per_s"], ""),
                  ("  per event of the whole log", c["catch_up_log_events_per_s"], "")])
    mix = _get(r, "ingest", "postgresql", "catch_up")
    if mix:
        table(f"projection catch-up over the ingested loadgen mix: {mix['log_events']:,} events",
              ["measure", "events/s"], [
                  (f"{mix['projection_topic_events']:,} projection events in"
                   f" {mix['catch_up_s']:.2f} s", mix["catch_up_events_per_s"]),
                  ("  per event of the whole log", mix["catch_up_log_events_per_s"])])
    if g.get("points"):
        table("growth: cost (constant per command and per event means linear in history)", [
            "licences", "bus µs/command", "audit s", "audit µs/event", "project s",
            "project µs/event"],
            [(p["licences"], p["load"]["per_command_us"], p["audit"]["seconds"],
              p["audit"]["us_per_event"], p["project"]["seconds"], p["project"]["us_per_event"])
             for p in g["points"]])
        table("growth: each child's own peak RSS (MB) and latency (ms)", [
            "licences", "loader MB", "audit MB", "project MB", "show p50", "show p99",
            "verify p50", "verify p99"],
            [(p["licences"], p["load"]["peak_rss_mb"], p["audit"]["rss_mb"],
              p["project"]["rss_mb"], p["show"]["p50_ms"], p["show"]["p99_ms"],
              p["verify"]["p50_ms"], p["verify"]["p99_ms"]) for p in g["points"]])
    table(f"targets ({r['mode']} run, {r['duration_s']} s)", ["target", "bound", "measured",
                                                              "status"],
          [(t["target"], t["bound"], "-" if t["value"] is None else t["value"], t["status"])
           for t in r["targets"]])
