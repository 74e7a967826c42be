"""The service's settings, read once at the edge into a frozen object.

| variable                   | default                | meaning                               |
|----------------------------|------------------------|---------------------------------------|
| LEDGER_PUBLIC_URL          | http://127.0.0.1:8080  | base URL printed in QR codes          |
| LEDGER_MAX_BODY            | 1048576                | bytes of a command (the wire bound)   |
| LEDGER_MAX_FILE            | 16777216               | bytes of a file posted to verify-file |
| LEDGER_GROUP_COMMIT_MS     | 2                      | how long the writer gathers a batch   |
| LEDGER_PUBLIC_RATE         | 5                      | public requests per second per client |
| LEDGER_PUBLIC_BURST        | 20                     | public requests a client may burst    |
| LEDGER_REQUEST_TIMEOUT     | 30                     | seconds a request waits for the ledger|
| LEDGER_BODY_TIMEOUT        | 20                     | seconds each part of a body may take  |
| LEDGER_KAFKA_WAIT_MS       | 5000                   | with Kafka: wait for a result, then 202 |
| LEDGER_DOWNLOAD_TTL        | 300                    | seconds a download reference is valid |
| LEDGER_FILES_DIR           | .ledger/files          | the file store references open        |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from commands.settings import env_count
from licence_files.qr import DEFAULT_PUBLIC_URL, public_url_from
from licence_files.settings import load_file_settings

MAX_BODY = 1 << 20  # one command: the same bound as a wire-format line


@dataclass(frozen=True)
class ServiceSettings:
    public_url: str = DEFAULT_PUBLIC_URL
    max_body: int = MAX_BODY
    max_file: int = 16 << 20
    group_commit_seconds: float = 0.002
    max_batch: int = 500
    public_rate: float = 5.0
    public_burst: int = 20
    request_timeout: float = 30.0
    kafka_wait: float = 5.0
    body_timeout: float = 20.0
    download_ttl: float = 300.0
    files_dir: str = ".ledger/files"


def load_service_settings(env: Mapping[str, str] | None = None) -> ServiceSettings:
    env = os.environ if env is None else env
    return ServiceSettings(
        public_url=public_url_from(env),
        max_body=env_count(env, "LEDGER_MAX_BODY", MAX_BODY, minimum=1024),
        max_file=env_count(env, "LEDGER_MAX_FILE", 16 << 20, minimum=1024),
        group_commit_seconds=env_count(env, "LEDGER_GROUP_COMMIT_MS", 2, minimum=0) / 1000,
        max_batch=env_count(env, "LEDGER_BATCH_SIZE", 500, minimum=1),
        public_rate=float(env_count(env, "LEDGER_PUBLIC_RATE", 5, minimum=1)),
        public_burst=env_count(env, "LEDGER_PUBLIC_BURST", 20, minimum=1),
        request_timeout=float(env_count(env, "LEDGER_REQUEST_TIMEOUT", 30, minimum=1)),
        body_timeout=float(env_count(env, "LEDGER_BODY_TIMEOUT", 20, minimum=1)),
        kafka_wait=env_count(env, "LEDGER_KAFKA_WAIT_MS", 5000, minimum=0) / 1000,
        download_ttl=float(env_count(env, "LEDGER_DOWNLOAD_TTL", 300, minimum=1)),
        files_dir=str(load_file_settings(env).files_dir),
    )
