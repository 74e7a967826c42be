"""Beijing days: instants to Beijing dates and periods (ledger/domain/localtime.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ledger.domain.localtime import beijing_date, beijing_period, to_beijing


@pytest.mark.parametrize(("instant", "day"), [
    ("2026-03-01T15:59:59Z", date(2026, 3, 1)),
    ("2026-03-01T15:59:59.999999Z", date(2026, 3, 1)),
    ("2026-03-01T16:00:00Z", date(2026, 3, 2)),
    ("2026-03-01T16:30:00Z", date(2026, 3, 2)),
    ("2026-03-01T23:59:59+00:00", date(2026, 3, 2)),
    ("2026-03-02T00:00:00+08:00", date(2026, 3, 2)),
    ("2026-03-01T23:59:59+08:00", date(2026, 3, 1)),
    ("2026-03-01T10:59:59-05:00", date(2026, 3, 1)),  # 15:59:59Z
    ("2026-03-01T11:00:00-05:00", date(2026, 3, 2)),  # 16:00Z
])
def test_beijing_date_of_text_instants(instant: str, day: date) -> None:
    assert beijing_date(instant) == day


def test_beijing_date_of_aware_datetimes() -> None:
    assert beijing_date(datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert beijing_date(datetime(2026, 3, 1, 16, 0, tzinfo=UTC)) == date(2026, 3, 2)
    tokyo = timezone(timedelta(hours=9))
    assert beijing_date(datetime(2026, 3, 2, 0, 30, tzinfo=tokyo)) == date(2026, 3, 1)
    # Summer and winter alike: China keeps no daylight saving.
    assert to_beijing("2026-07-01T00:00:00Z").utcoffset() == timedelta(hours=8)
    assert to_beijing("2026-01-01T00:00:00Z").utcoffset() == timedelta(hours=8)


def test_naive_and_zone_less_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        beijing_date(datetime(2026, 3, 1, 16, 0))
    with pytest.raises(ValueError, match="no time zone"):
        beijing_date("2026-03-01T16:00:00")
    with pytest.raises(ValueError, match="ISO 8601"):
        beijing_date("2026-03-01")


@pytest.mark.parametrize(("instant", "period"), [
    ("2026-03-31T15:59:59Z", "2026-03"), ("2026-03-31T16:00:00Z", "2026-04"),
    ("2026-12-31T16:00:00Z", "2027-01"), ("2026-02-28T16:00:00Z", "2026-03"),
])
def test_beijing_period_turns_at_beijing_midnight(instant: str, period: str) -> None:
    assert beijing_period(instant) == period
