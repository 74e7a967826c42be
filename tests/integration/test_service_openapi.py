"""``/openapi.json`` says what the routes do: the download route's binding headers, without
which no reference opens (docs/service.md), and the 408 every body-taking route answers
to a body that stalls (sharing/middleware.py)."""

from __future__ import annotations

from typing import Any

from commands.bootstrap import Services
from commands.setting_sections import ServiceSettings
from sharing.app import create_app


def document() -> dict[str, Any]:
    def never() -> Services:
        raise AssertionError("the OpenAPI document needs no ledger")

    spec: dict[str, Any] = create_app(never, ServiceSettings()).openapi()
    return spec


def test_the_download_route_declares_its_binding_headers() -> None:
    operation = document()["paths"]["/api/v1/files/{reference}"]["get"]
    headers = {p["name"].lower(): p for p in operation["parameters"] if p["in"] == "header"}
    assert set(headers) == {"x-ledger-department", "x-ledger-operator"}
    assert all(p["schema"]["type"] == "string" for p in headers.values())
    assert "application/json" not in operation["responses"]["200"]["content"]


def test_routes_that_take_a_body_declare_408() -> None:
    paths = document()["paths"]
    for path in ("/api/v1/commands", "/api/v1/verify-file"):
        answer = paths[path]["post"]["responses"]["408"]
        assert "application/problem+json" in answer["content"], path
