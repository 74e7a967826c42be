"""Beijing days (UTC+08:00, no daylight saving) and the corrections deadline, as pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ledger.domain.access import check_grant_live
from ledger.domain.corrections import answer_deadline, is_overdue
from ledger.domain.grants import FUNCTION, Grant
from ledger.domain.localtime import beijing_date, beijing_period, to_beijing
from ledger.errors import AccessRefusedError


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


# -- grant windows are Beijing dates ----------------------------------------------------------
GRANT = Grant("G-1", FUNCTION, "dept", valid_from="2026-03-02", valid_until="2026-03-05")


@pytest.mark.parametrize(("instant", "code"), [
    ("2026-03-01T15:59:59Z", "grant_not_yet_valid"),
    ("2026-03-01T16:00:00Z", None),
    ("2026-03-05T15:59:59Z", None),
    ("2026-03-05T16:00:00Z", "grant_expired"),
])
def test_grant_window_edges_fall_at_beijing_midnight(instant: str, code: str | None) -> None:
    today = beijing_date(instant)
    if code is None:
        assert check_grant_live(GRANT, "G-1", today) is GRANT
    else:
        with pytest.raises(AccessRefusedError) as caught:
            check_grant_live(GRANT, "G-1", today)
        assert caught.value.code == code


# -- the corrections deadline ------------------------------------------------------------------
@pytest.mark.parametrize(("reported", "within", "deadline"), [
    (date(2026, 3, 2), 5, date(2026, 3, 9)),    # Monday -> next Monday
    (date(2026, 3, 5), 5, date(2026, 3, 12)),   # Thursday -> next Thursday
    (date(2026, 3, 6), 5, date(2026, 3, 13)),   # Friday -> next Friday
    (date(2026, 3, 7), 5, date(2026, 3, 13)),   # Saturday: counting starts on Monday
    (date(2026, 3, 8), 5, date(2026, 3, 13)),   # Sunday too
    (date(2026, 3, 6), 1, date(2026, 3, 9)),    # Friday + 1 working day = Monday
    (date(2026, 3, 2), 10, date(2026, 3, 16)),
    (date(2026, 3, 2), 0, date(2026, 3, 2)),
])
def test_answer_deadline_counts_weekdays_after_the_report(reported: date, within: int,
                                                          deadline: date) -> None:
    assert answer_deadline(reported, within) == deadline


def test_answer_deadline_refuses_negative_periods() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        answer_deadline(date(2026, 3, 2), -1)


def test_overdue_is_after_the_deadline_day_open_or_answered() -> None:
    deadline = date(2026, 3, 12)
    assert not is_overdue(deadline, date(2026, 3, 12), None)
    assert is_overdue(deadline, date(2026, 3, 13), None)
    assert not is_overdue(deadline, date(2026, 3, 30), date(2026, 3, 12))  # answered in time
    assert is_overdue(deadline, date(2026, 3, 13), date(2026, 3, 13))  # answered late
