"""``ledger serve`` as an operator runs it: a real process on the embedded default, its
structured access log, a graceful stop on SIGTERM, and bad usage refused plainly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.service_server import free_port


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}


def test_serve_answers_logs_without_personal_data_and_stops_gracefully(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "commands.cli.main", "serve", "--port",
                                str(port)], cwd=tmp_path, env=_env(), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "ledger serve did not start"
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        reference = "0123456789abcdef" * 2
        assert httpx.get(f"{base}/v/{reference}").status_code == 404
        assert "server" not in health.headers
        assert (tmp_path / ".ledger" / "ledger.db").exists()  # the embedded default
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    lines = [json.loads(x.split("sharing.access: ", 1)[1]) for x in stderr.splitlines()
             if "sharing.access: " in x]
    assert {"method": "GET", "route": "/v/{reference}", "status": 404} \
        .items() <= next(x for x in lines if x["route"] == "/v/{reference}").items()
    assert reference not in stderr and "127.0.0.1" not in "".join(map(str, lines))
    assert "Traceback" not in stderr


def test_serve_refuses_a_bad_port_plainly(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "commands.cli.main", "serve", "--port", "99999"],
                         cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "not a port number" in run.stderr
    assert "Traceback" not in run.stderr


def test_serve_says_plainly_when_it_cannot_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        run = subprocess.run([sys.executable, "-m", "commands.cli.main", "serve", "--port", port],
                             cwd=tmp_path, env=_env(), capture_output=True, text=True,
                             timeout=120)
    assert run.returncode == 2 and "address already in use" in run.stderr
    bad = subprocess.run([sys.executable, "-m", "commands.cli.main", "serve"], cwd=tmp_path,
                         env={**_env(), "LEDGER_PUBLIC_URL": "licences.example"},
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "LEDGER_PUBLIC_URL" in bad.stderr
    for output in (run.stderr, bad.stderr):
        assert "Traceback" not in output
