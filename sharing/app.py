"""The application factory: routes, limits, headers and the writer, around the services
the composition root (:func:`commands.bootstrap.bootstrap`) builds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp

from commands.bootstrap import Services
from commands.setting_sections import PageSettings, ServiceSettings
from consumers.config import KafkaOptions
from licence_files.store import FileStore
from sharing import errors, openapi, pages
from sharing.answers import Awaiting
from sharing.downloads import Downloads
from sharing.kafka_door import KafkaDoor
from sharing.middleware import AccessLog, AnswerAtStop, BodyLimit, SecurityHeaders
from sharing.ratelimit import RateLimiter
from sharing.routes import commands, downloads, files, health, public, transparency
from sharing.writer import Writer

DESCRIPTION = """\
The licence ledger's sharing service (docs/service.md). Departments' systems post signed
envelopes of the wire format; the public asks for the status behind a QR code; auditors
fetch checkpoints and proofs. Every refusal is an RFC 9457 problem document with the
ledger's own `code`.
"""
FILE_PATHS = ("/api/v1/verify-file",)


def create_app(open_services: Callable[[], Services], settings: ServiceSettings,
               kafka: KafkaOptions | None = None, pages_settings: PageSettings | None = None,
               writer: Writer | None = None) -> FastAPI:
    """The ASGI app. ``open_services`` is called once, in the writer thread, at start-up;
    with ``kafka`` commands go through the commands topic instead of the writer. The pages
    take ``pages_settings`` (``settings.pages``; the defaults with a random session key when
    not given). ``writer``: the writer to use (sharing/writer_process.py), else one in a
    thread of this process over ``open_services``."""
    writer = writer or Writer(open_services, window=settings.group_commit_seconds,
                              max_batch=settings.max_batch)
    door = KafkaDoor(kafka, settings.kafka_wait) if kafka is not None else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(writer.start)
        writer.bind(asyncio.get_running_loop())
        try:
            if door is not None:
                await asyncio.to_thread(door.start)
            yield
        finally:  # uvicorn stopped taking requests and let the open ones finish
            if door is not None:
                await asyncio.to_thread(door.stop)
            await asyncio.to_thread(writer.stop)

    app = FastAPI(title="licence ledger sharing service", version="1", description=DESCRIPTION,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.writer = writer
    app.state.kafka = door
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.public_rate, settings.public_burst)
    app.state.downloads = Downloads(settings.download_ttl)
    app.state.awaiting = Awaiting()
    app.state.files = FileStore(Path(settings.files_dir))
    for module in (health, commands, files, downloads, public, transparency):
        app.include_router(module.router)
    pages.install(app, pages_settings or PageSettings.fresh())
    errors.install(app)
    openapi.install(app)

    def limit_of(path: str) -> int:
        return settings.max_file if path in FILE_PATHS else settings.max_body

    def too_large(limit: int) -> ASGIApp:
        return errors.too_large_response(limit)

    # Outermost last: the log sees every answer, headers go on every answer.
    app.add_middleware(commands.Direct, service=app)
    app.add_middleware(BodyLimit, limit_of=limit_of, read_timeout=settings.body_timeout,
                       too_large=too_large)
    app.add_middleware(AnswerAtStop, answer_stop=errors.stopped_response())
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)
    return app


def open_ledger(app: FastAPI) -> None:
    """Open the ledger (and Kafka) now, before serving, so that a database or broker that
    cannot be reached is a plain error of the command, not a failed start-up log."""
    app.state.writer.start()
    if app.state.kafka is not None:
        app.state.kafka.start()
