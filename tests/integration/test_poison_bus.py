"""One command whose handling raises mid-batch is rolled back alone; the batch goes on.

The poison is real: the daily-use counter of a capped grant has a damaged stored row.
It is read only while the read under that grant is handled (no prefetch knows it), so
the failure comes from inside one command, and its savepoint undoes it exactly.
"""

from __future__ import annotations

import logging

import pytest

from commands.bootstrap import Services
from ledger.domain import streams
from ledger.domain.localtime import beijing_date
from ledger.integrity.receipts import apply_receipt
from tests.builders import RawEvents
from tests.conftest import FakeClock
from tests.integration.use_town import build_town


def test_a_command_that_raises_is_answered_internal_error_and_the_rest_applied(
        services: Services, clock: FakeClock, database_url: str,
        caplog: pytest.LogCaptureFixture) -> None:
    town = build_town(services, clock)
    town.accept(town.grant("G-CAP", town.a, daily_cap=5))
    town.accept(town.read(town.a, town.ident("001"), "G-CAP", case="C-1"))
    counter = streams.usage_counter_stream("G-CAP", beijing_date(clock()).isoformat())
    events = RawEvents(database_url)
    [row] = [r for r in events.rows() if r.stream == str(counter)]
    events.set_state(row.nid, b'{"not": "a ledger row"}')
    services.ledger.forget()  # as a freshly started process would be

    batch = [town.read(town.a, town.ident("001"), "G-A", case="C-2"),
             town.read(town.a, town.ident("002"), "G-CAP", case="C-3"),
             town.read(town.a, town.ident("003"), "G-A", case="C-4")]
    with caplog.at_level(logging.INFO, logger="ledger.bus"):
        before, poison, after = services.bus.execute(batch)
    assert before.accepted and after.accepted
    assert (poison.accepted, poison.code) == (False, "internal_error")
    assert "RecordFormatError" not in (poison.message or "")  # the why is for the log
    assert "RecordFormatError" in caplog.text and "Traceback" in caplog.text

    def receipt(envelope: dict[str, str]) -> object:
        return services.ledger.get(streams.receipt_stream(envelope["command_id"]),
                                   apply_receipt)

    assert receipt(batch[0]) is not None and receipt(batch[2]) is not None
    assert receipt(batch[1]) is None  # rolled back to its savepoint: nothing of it stays
    again = services.bus.execute([batch[0]])[0]
    assert again.duplicate and again.events == before.events
