"""A real uvicorn server on a free port, in a background thread, for the service tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx
import uvicorn
from fastapi import FastAPI

from commands.setting_sections import PageSettings, ServiceSettings
from commands.settings import load_settings
from consumers.config import KafkaOptions
from sharing.app import create_app
from sharing.writer import serving_services
from sharing.writers import writer_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Served(NamedTuple):
    http: httpx.Client
    app: FastAPI
    base_url: str


@contextmanager
def running_service(database_url: str, key_file: Path, settings: ServiceSettings | None = None,
                    kafka: KafkaOptions | None = None, pages: PageSettings | None = None,
                    writer: str | None = None) -> Iterator[Served]:
    """Serve the ledger at ``database_url``; yields a client on its base URL. The writer is
    the one ``ledger serve`` picks (its own process without Kafka) unless ``writer`` says."""
    ledger_settings = load_settings({"LEDGER_DATABASE_URL": database_url,
                                     "LEDGER_KEY_FILE": str(key_file)})
    service = settings or ServiceSettings()
    app = create_app(serving_services(ledger_settings), service, kafka,
                     pages or ledger_settings.pages,
                     writer=writer_for(ledger_settings, service, kafka=kafka is not None,
                                       asked=writer))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url, timeout=30) as client:
            yield Served(client, app, base_url)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
