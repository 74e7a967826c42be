"""Schemathesis against the live service's ``/openapi.json``: no 5xx, and every answer
matches its documented status, content type, headers and schema. ``POST /api/v1/commands``
takes the envelope's JSON Schema, which Schemathesis cannot generate from; hostile bodies
for it are generated here with Hypothesis instead."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.bootstrap import Services
from commands.setting_sections import ServiceSettings
from tests.conftest import FakeClock
from tests.integration.service_server import Served, running_service
from tests.integration.use_town import build_town

ENVELOPE_KEYS = ("command_id", "type", "actor", "key_id", "issued_at", "payload", "signature")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)
envelopes = st.fixed_dictionaries({}, optional={k: json_values for k in ENVELOPE_KEYS})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC) - timedelta(hours=1))


@pytest.fixture
def served(services: Services, clock: FakeClock, database_url: str,
           tmp_path: Path) -> Iterator[Served]:
    build_town(services, clock)
    with running_service(database_url, tmp_path / "ledger-key.pem",
                         ServiceSettings(public_burst=10_000)) as served:
        yield served


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
        served: Served, tmp_path: Path) -> None:
    run = subprocess.run([
        str(Path(__file__).parents[2] / ".venv" / "bin" / "schemathesis"), "run",
        f"{served.base_url}/openapi.json", "--checks", "all",
        "--exclude-checks", "positive_data_acceptance", "--exclude-path", "/api/v1/commands",
        "--max-examples", "25", "--workers", "1", "--seed", "14"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_hostile_command_bodies_get_a_problem_never_a_500(served: Served) -> None:
    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=envelopes | json_values.map(lambda v: {"payload": v}))
    def post(body: dict[str, Any]) -> None:
        response = served.http.post("/api/v1/commands", content=json.dumps(body))
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"]

    post()
    for raw in (b"", b"\xff\xfe", b"[]", b"null", b"1e999", b'{"a":' * 5000, b"\x00" * 64):
        response = served.http.post("/api/v1/commands", content=raw)
        assert 400 <= response.status_code < 500, (raw[:20], response.text)
