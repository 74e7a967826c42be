"""What every route needs: the writer, the settings, and a bounded wait for the ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

from commands.bootstrap import Services
from commands.setting_sections import ServiceSettings
from sharing.writer import Writer

T = TypeVar("T")
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {"schema": {"$ref":
           "#/components/schemas/Problem"}}}, "description": "a problem document (RFC 9457)"}


def settings_of(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


def writer_of(request: Request) -> Writer:
    writer: Writer = request.app.state.writer
    return writer


async def on_ledger(request: Request, fn: Callable[[Services], T]) -> T:
    """Run ``fn`` in the writer thread, between batches; at most the request time-out."""
    return await asyncio.wait_for(writer_of(request).call(fn),
                                  settings_of(request).request_timeout)


async def on_writer(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """``fn(services, *args)`` where the ledger is written (a checkpoint published), at most
    the request time-out; ``fn`` is a module-level function (it may cross to the writer
    process: sharing/writer_process.py)."""
    return await asyncio.wait_for(writer_of(request).on_writer(fn, *args),
                                  settings_of(request).request_timeout)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: PROBLEM for status in statuses}
