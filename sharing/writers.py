"""Which writer ``ledger serve`` uses (sharing/writer.py, sharing/writer_process.py), and
who keeps its read models (sharing/projector.py)."""

from __future__ import annotations

from commands.setting_sections import ServiceSettings
from commands.settings import Settings
from sharing.projector import Projector
from sharing.writer import Writer, serving_services
from sharing.writer_process import ProcessWriter


def writer_for(settings: Settings, service: ServiceSettings, *, kafka: bool,
               asked: str | None = None) -> Writer:
    """The writer ``ledger serve`` uses: a process of its own unless there is nothing for
    it to write (with Kafka the consumers write) or no file to share (an in-memory SQLite
    database lives in one process); ``asked``: ``process`` or ``thread`` (``--writer``)."""
    kind = asked or ("thread" if kafka else "process")
    if kind == "process" and ":memory:" not in settings.database_url:
        # The read models catch up in a process of their own where this service keeps
        # them (the embedded default; on PostgreSQL `ledger project --follow` does).
        projector = Projector(settings) if settings.inline_projections else None
        return ProcessWriter(settings, serving_services(settings), projector=projector,
                             window=service.group_commit_seconds, max_batch=service.max_batch)
    return Writer(serving_services(settings), window=service.group_commit_seconds,
                  max_batch=service.max_batch)
