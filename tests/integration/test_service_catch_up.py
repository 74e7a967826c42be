"""When the service's read models catch up with batches the writer process committed: at
once when the load pauses, at most every ``CATCH_UP_EVERY`` while requests wait for the
writer, never after each small batch (a page of a few commands costs several times what
the same commands cost in a page of 0.1 s)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from commands.bootstrap import Services
from commands.settings import load_settings
from sharing import writer as writer_module
from sharing.writer import CATCH_UP_EVERY, IDLE_CATCH_UP, Writer, serving_services

GAP = 2 * IDLE_CATCH_UP  # batches further apart than "idle": each gap looked idle


class ElsewhereWriter(Writer):
    """The catch-up thread of :class:`~sharing.writer_process.ProcessWriter`: batches are
    committed by another process; ``waiting`` says whether requests wait for one."""

    waiting = True

    def _in_flight(self) -> bool:
        return self.waiting


@pytest.fixture
def catch_ups(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """When each catch-up ran (the real one runs too)."""
    seen: list[float] = []
    real = writer_module.catch_up

    def counted(services: Services) -> None:
        seen.append(time.monotonic())
        real(services)

    monkeypatch.setattr(writer_module, "catch_up", counted)
    return seen


def batches_elsewhere(writer: Writer, seconds: float) -> int:
    """A batch committed by the writer process every ``GAP`` for ``seconds``."""
    count, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        writer.committed_elsewhere()
        count += 1
        time.sleep(GAP)
    return count


def test_read_models_catch_up_on_a_cadence_while_requests_wait(
        tmp_path: Path, catch_ups: list[float]) -> None:
    settings = load_settings({"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}",
                              "LEDGER_KEY_FILE": str(tmp_path / "k.pem")})
    writer = ElsewhereWriter(serving_services(settings), window=0.002, max_batch=500)
    writer.start()
    try:
        seconds = 4 * CATCH_UP_EVERY
        batches = batches_elsewhere(writer, seconds)
        assert batches >= 15
        # Before, each gap between batches looked idle: one catch-up per batch.
        assert 1 <= len(catch_ups) <= seconds / CATCH_UP_EVERY + 2, (len(catch_ups), batches)

        writer.waiting = False  # the load paused: catch up at once
        before = len(catch_ups)
        paused_at = time.monotonic()
        writer.committed_elsewhere()
        deadline = paused_at + 2
        while len(catch_ups) == before:
            assert time.monotonic() < deadline, "no catch-up after the load paused"
            time.sleep(0.001)
        assert catch_ups[-1] - paused_at < CATCH_UP_EVERY
    finally:
        writer.stop()


def test_the_thread_writer_still_catches_up_when_its_queue_is_idle(
        tmp_path: Path, catch_ups: list[float]) -> None:
    """In one process every command goes through the writer's queue: an empty queue is
    idle, and a batch committed then is caught up within ``IDLE_CATCH_UP``-ish."""
    settings = load_settings({"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}",
                              "LEDGER_KEY_FILE": str(tmp_path / "k.pem")})
    writer = Writer(serving_services(settings), window=0.002, max_batch=500)
    writer.start()
    try:
        batches = batches_elsewhere(writer, 2 * CATCH_UP_EVERY)
        assert len(catch_ups) >= batches // 2, (len(catch_ups), batches)
    finally:
        writer.stop()
