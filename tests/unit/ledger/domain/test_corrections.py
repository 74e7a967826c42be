"""Correction deadlines: weekdays after the report; overdue after the last day
(ledger/domain/corrections.py)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.corrections import answer_deadline, is_overdue


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
