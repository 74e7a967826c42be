"""The database going away under a running service (PostgreSQL): health and commands answer
503 problem documents, never a traceback; when it comes back, so does the service."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import psycopg
import pytest
from psycopg import sql

from commands.demo.scenario import Scenario
from commands.setting_sections import ServiceSettings
from ledger.integrity.canonical import format_instant
from tests.conftest import fresh_schema
from tests.integration.service_server import running_service
from tests.integration.test_service_commands import assert_problem

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _until(api: httpx.Client, status: int) -> httpx.Response:
    deadline = time.monotonic() + 30
    while (response := api.get("/healthz")).status_code != status:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.2)
    return response


def test_a_database_that_goes_away_is_503_and_the_service_recovers(
        pg_database: str, tmp_path: Path) -> None:
    role = f"svc_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(pg_database, autocommit=True)
    try:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        with fresh_schema(pg_database) as url:
            schema = parse_qs(urlsplit(url).query)["schema"][0]
            admin.execute(sql.SQL("GRANT ALL ON SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(role)))
            parts = urlsplit(url)
            as_role = parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()
            settings = ServiceSettings(request_timeout=5)
            with running_service(as_role, tmp_path / "ledger-key.pem", settings) as served:
                api = served.http
                assert api.get("/healthz").json() == {"status": "ok"}
                admin.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(role)))
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                              " WHERE usename = %s", (role,))
                assert_problem(_until(api, 503), 503, "unavailable")
                scenario = Scenario(3, lambda: format_instant(datetime.now(UTC)))
                genesis = next(iter(scenario.setup()))
                response = api.post("/api/v1/commands", content=orjson.dumps(genesis))
                # Refused logins keep the pool waiting for a connection: the request's
                # time-out answers first (a driver error would be `database`).
                assert response.status_code == 503, response.text
                assert response.json()["code"] in ("unavailable", "database")
                assert "Traceback" not in response.text
                admin.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(role)))
                _until(api, 200)
                accepted = api.post("/api/v1/commands", content=orjson.dumps(genesis))
                assert accepted.status_code == 200, accepted.text
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    finally:
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        admin.close()
