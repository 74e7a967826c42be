"""Corrections: reported once, answered once by their issuer; deadlines in weekdays after
the report; overdue after the last day (ledger/domain/corrections.py)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.corrections import (
    CorrectionAnswered,
    CorrectionReported,
    answer,
    answer_deadline,
    apply_correction,
    is_overdue,
    report,
)
from ledger.domain.grants import GrantRevoked
from ledger.errors import AlreadyExistsError, IllegalTransitionError, NotFoundError


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


REPORTED = CorrectionReported("c1", "wrong_data", "1.2.156.3005.2.T.I.S.003.X", "L1", "T", "I",
                              "P", "the address is wrong", "2026-03-02")
ANSWERED = CorrectionAnswered("c1", "corrected", "1.2.156.3005.2.T.I.S.004.Y", "fixed",
                              "2026-03-04")


def test_a_report_remembers_the_issuer_and_the_version_reported() -> None:
    state = apply_correction(None, report(None, REPORTED))
    assert (state.issuer_code, state.licence_stream, state.reported_version) == ("I", "L1", 3)
    assert not state.answered
    general = CorrectionReported("c2", "missing", None, None, "T", "I", "P", "not issued",
                                 "2026-03-02")
    assert apply_correction(None, general).reported_version is None


def test_a_correction_is_reported_once() -> None:
    with pytest.raises(AlreadyExistsError, match="c1 was already reported"):
        report(apply_correction(None, REPORTED), REPORTED)


def test_only_its_issuer_answers_a_reported_correction_once() -> None:
    state = apply_correction(None, REPORTED)
    assert answer(state, "c1", "I", ANSWERED) is ANSWERED
    with pytest.raises(NotFoundError, match="never reported"):
        answer(None, "c1", "I", ANSWERED)
    with pytest.raises(IllegalTransitionError) as info:
        answer(state, "c1", "J", ANSWERED)
    assert info.value.code == "unauthorised" and "is for issuer I, not J" in info.value.message
    done = apply_correction(state, ANSWERED)
    assert done.answered
    with pytest.raises(IllegalTransitionError, match="already answered"):
        answer(done, "c1", "I", ANSWERED)


def test_only_correction_events_apply() -> None:
    with pytest.raises(TypeError, match="CorrectionAnswered does not apply"):
        apply_correction(None, ANSWERED)
    with pytest.raises(TypeError, match="GrantRevoked does not apply"):
        apply_correction(apply_correction(None, REPORTED), GrantRevoked("g", "x"))
