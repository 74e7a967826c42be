"""Canonical encoding and instants (ledger/integrity/canonical.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.integrity.canonical import canonical_bytes, format_instant, parse_date, parse_instant


def test_canonical_bytes_sort_keys_and_keep_utf8() -> None:
    assert canonical_bytes({"b": 1, "a": ["证照", None, True]}) == (
        '{"a":["证照",null,true],"b":1}'.encode()
    )


def test_instants_round_trip_and_are_utc() -> None:
    moment = parse_instant("2026-11-27T16:00:00+08:00")
    assert moment == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert format_instant(moment) == "2026-11-27T08:00:00.000000Z"


@pytest.mark.parametrize("text", ["2026-11-27", "2026-11-27T08:00:00", "yesterday", ""])
def test_bad_instants_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


@pytest.mark.parametrize("text", ["2026-02-30", "20261127", "2026-1-2", "27/11/2026"])
def test_bad_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)
