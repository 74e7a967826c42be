"""The sharing service over HTTP (issue 14): signed ``VerifyLicence`` commands posted to
``ledger serve`` at fixed concurrency, beside a constant-answer endpoint of the same server
and beside the in-process bus on the same kind of commands, in one run.

    python -m benchmarks.suite_http [--licences N] [--requests N] [--concurrency C]

The ledger is on SQLite (the embedded default; read models kept up to date on both
sides). The server is a ``ledger serve`` process; the load comes from this process, so on
2 cores client and server share the CPU, as they would on a small host. The client is
:mod:`benchmarks.http_client` (asyncio protocols on raw keep-alive sockets, uvloop), the
same for every HTTP figure: httpx spent more CPU per request than the server's whole HTTP
stack, so the first figures measured httpx (a constant endpoint at 478 requests/s).
Figures: requests/s and p50/p99 per endpoint at the fixed concurrency (closed loop), then
verifications at half the peak rate (open loop, each request sent on schedule).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from benchmarks import http_client as hc
from benchmarks import suite_ingest, suite_reads
from benchmarks.suite_env import ratio
from commands.bootstrap import bootstrap
from commands.cli.output import table
from commands.settings import load_settings


def http(work: Path, licences: int, requests: int, concurrency: int,
         say: Callable[[str], None] = print) -> dict[str, Any]:
    env = {"LEDGER_DATABASE_URL": f"sqlite:///{work / 'http.db'}",
           "LEDGER_KEY_FILE": str(work / "http-key.pem")}
    say(f"HTTP: a ledger of {licences:,} licences, {requests:,} verifications per figure")
    services = bootstrap(load_settings(env))
    try:
        lines = suite_ingest.command_lines(licences)
        for i in range(0, len(lines), 500):
            services.bus.execute(lines[i:i + 500])
        verifier = suite_reads.Verifier(services)
        verifier.grant()
        bodies = [orjson.dumps(c) for c in _verifications(verifier, services, 6 * requests)]
        bus_rates = [_bus_rate(services, bodies[:requests])]
    finally:
        services.close()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "commands.cli.main", "serve", "--port", str(port)],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
        host = f"127.0.0.1:{port}"
        queue = iter(bodies[requests:])
        verify = (hc.encode(host, "POST", "/api/v1/commands", b) for b in queue)
        constant = hc.encode(host, "GET", "/api/v1/version", None)
        warm = min(requests, 200)  # connections, caches and the interpreter warm up first
        hc.run(hc.closed_loop("127.0.0.1", port, itertools.repeat(constant), warm,
                              concurrency))
        # The writer's state cache too: the bus it is compared with had just written the
        # ledger, so its first run read every licence from memory.
        hc.run(hc.closed_loop("127.0.0.1", port, verify, requests, concurrency))
        const = hc.run(hc.closed_loop("127.0.0.1", port, itertools.repeat(constant),
                                      requests, concurrency))
        # Twice, the faster kept, as for the bus: one figure of 1-2 s swings by a third.
        peaks = [hc.run(hc.closed_loop("127.0.0.1", port, verify, requests, concurrency))
                 for _ in range(2)]
        peak = max(peaks, key=lambda p: float(p["requests_per_s"]))
        half = hc.run(hc.open_loop("127.0.0.1", port, verify, requests,
                                   peak["requests_per_s"] / 2))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    # The bus again, on fresh commands, after the server stopped: the faster of the two
    # is the baseline (a figure of 1-2 s on a shared machine swings by a third).
    services = bootstrap(load_settings(env))
    try:
        bus_rates.append(_bus_rate(services, bodies[5 * requests:]))
    finally:
        services.close()
    bus_rate = max(bus_rates)
    return {
        "licences": licences, "requests": requests, "concurrency": concurrency,
        "bus_verifications_per_s": round(bus_rate, 1),
        "bus_runs_per_s": [round(r, 1) for r in bus_rates], "constant": const,
        "verify": peak, "verify_runs_per_s": [p["requests_per_s"] for p in peaks],
        "verify_at_half_peak": half,
        "http_vs_bus": ratio(peak["requests_per_s"], bus_rate),
        "verify_vs_constant": ratio(peak["requests_per_s"], const["requests_per_s"]),
    }


def _bus_rate(services: Any, bodies: list[bytes]) -> float:
    """Verifications/s through the in-process bus, as `ledger apply` feeds it."""
    started = time.perf_counter()
    for i in range(0, len(bodies), 500):
        services.bus.execute(bodies[i:i + 500])
    return len(bodies) / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's targets, in the rows of ``suite_report.targets``."""
    h = report.get("http") or {}
    half = (h.get("verify_at_half_peak") or {}).get("p99_ms")
    rows: list[tuple[str, str, Any, Callable[[float], bool]]] = [
        ("recorded verifications over HTTP vs in-process bus", ">= 0.60",
         h.get("http_vs_bus"), lambda v: v >= 0.6),
        ("verify over HTTP p99 at half the peak rate (ms)", "<= 30", half, lambda v: v <= 30)]
    return [{"target": name, "bound": bound, "value": value,
             "status": "n/a" if value is None else ("PASS" if ok(value) else "MISS")}
            for name, bound, value, ok in rows]


def render(h: dict[str, Any] | None) -> None:
    if not h:
        return
    c, v, half = h["constant"], h["verify"], h["verify_at_half_peak"]
    bus = h["bus_verifications_per_s"]
    table(f"HTTP (ledger serve, SQLite, {h['licences']:,} licences): {h['requests']:,}"
          f" requests per figure, concurrency {h['concurrency']}",
          ["measure", "requests/s", "÷ bus", "p50 ms", "p99 ms", "answers"], [
              ("GET /api/v1/version (constant)", c["requests_per_s"],
               ratio(c["requests_per_s"], bus), c["p50_ms"], c["p99_ms"], c["statuses"]),
              ("POST VerifyLicence (recorded, faster of 2 runs)", v["requests_per_s"],
               h["http_vs_bus"],
               v["p50_ms"], v["p99_ms"], v["statuses"]),
              (f"  at half the peak ({half['rate_per_s']}/s, open loop)", "", "",
               half["p50_ms"], half["p99_ms"], half["statuses"]),
              ("in-process bus, batches of 500 (faster of 2 runs)", bus, 1.0, "", "", "")])


def _verifications(verifier: suite_reads.Verifier, services: Any, k: int
                   ) -> list[dict[str, Any]]:
    s, users = verifier.scenario, verifier.scenario.using_departments
    return [s.sign(users[i % len(users)], "VerifyLicence", {
        "identifier": ident, "mode": "function", "grant_id": verifier.grants[
            users[i % len(users)].code], "matter_code": "MATTER-001",
        "case_number": f"HTTP-{i:07d}", "operator": "officer-bench", "purpose": "benchmark"})
        for i, ident in enumerate(suite_reads.identifiers(services, k, seed=11))]


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise RuntimeError("ledger serve exited before it answered")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("ledger serve did not answer within 60 s")
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite_http", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--licences", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ledger-bench-http-") as tmp:
        report = http(Path(tmp), args.licences, args.requests, args.concurrency,
                      lambda text: print(text, file=sys.stderr))
    render(report)
    for row in targets({"http": report}):
        print(f"{row['status']}  {row['target']}: {row['value']} (target {row['bound']})",
              file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
