"""LEDGER_VERIFY_WORKERS, and the pool's in-order hand-out without worker processes."""

from __future__ import annotations

import orjson
import pytest

from commands.bus.pipeline import Result, decode_any
from commands.settings import load_settings
from commands.signed.envelope import SignedCommand
from consumers.config import kafka_options
from consumers.loadgen import LoadGenerator
from consumers.verify_pool import VerifyPool
from ledger.errors import ConfigurationError


def _options(value: str | None) -> int:
    env = {"KAFKA_BOOTSTRAP_SERVERS": "a:1"}
    if value is not None:
        env["LEDGER_VERIFY_WORKERS"] = value
    return kafka_options(load_settings(env)).verify_workers


def test_one_verify_worker_by_default_and_zero_keeps_the_writer_alone() -> None:
    assert _options(None) == 1
    assert _options("") == 1
    assert (_options("0"), _options("1"), _options("3")) == (0, 1, 3)


@pytest.mark.parametrize("value", ["-1", "two", "1.5", "1e3"])
def test_bad_verify_workers_are_configuration_errors(value: str) -> None:
    with pytest.raises(ConfigurationError, match="LEDGER_VERIFY_WORKERS"):
        _options(value)


def _lines() -> list[bytes | None]:
    lines: list[bytes | None] = [orjson.dumps(e) for e in LoadGenerator(2).stream(3)]
    return [*lines[:7], b"{broken", None, b"[]", *lines[7:]]


@pytest.mark.parametrize("takes", [[1, 2, 3], [50], [0, 4, 0, 100], [7, 7, 7, 7, 7, 7]])
def test_records_come_out_in_order_however_they_are_taken(takes: list[int]) -> None:
    values = _lines()
    pending = VerifyPool(0, 1 << 20, chunk=4).submit(values)
    out = [d for n in takes for d in pending.next(n)] + pending.result()
    expected = [decode_any(v, 1 << 20) for v in values]
    assert len(out) == len(values)
    assert out == expected
    assert pending.next(5) == []


def test_registered_keys_go_in_the_book_as_they_are_decoded() -> None:
    pool = VerifyPool(0, 1 << 20)
    decoded = pool.submit(_lines()).result()
    departments = [d for d in decoded if isinstance(d, SignedCommand)
                   and d.type == "RegisterDepartment"]
    assert departments and len(pool.keys) >= len(departments)
    assert {d.key_id for d in departments} <= set(pool.keys)
    assert not any(isinstance(d, Result) and d.accepted for d in decoded)
