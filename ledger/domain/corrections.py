"""Corrections and disputes (Art. 20-21) and the counts issuers and users report.

A holder (through the platform) or a using department reports an error in a licence or
a missing licence; the issuing department answers — fixed by a new version, or refused
with reasons — and the management department watches the ages of open reports.
Paper-count reports (Art. 12) and case counts feed reconciliation and the metrics.

How long the issuer has: Art. 21 says only that it must process a report "及时" (promptly)
and report the result back, under the supervision of the management department at its
level; Art. 20 sends a using department's dispute to the issuer in writing. The regulation
names no number of days, so the deadline is a policy the management department sets:
:data:`ANSWER_WITHIN_WORKING_DAYS` working days by default, overridable per query.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final

from ledger.domain.events import DomainEvent, event
from ledger.errors import AlreadyExistsError, IllegalTransitionError, NotFoundError

KINDS = ("error", "missing")
OUTCOMES = ("fixed", "refused")

# Not from the regulation (Art. 21 says "及时", promptly): the default answer period a
# management department applies when it sets none of its own.
ANSWER_WITHIN_WORKING_DAYS: Final = 5


@dataclass(frozen=True)
class Correction:
    correction_id: str
    issuer_code: str
    licence_stream: str | None
    answered: bool = False
    reported_version: int | None = None  # version of the licence reported as wrong


@event
@dataclass(frozen=True)
class CorrectionReported(DomainEvent):
    correction_id: str
    kind: str
    identifier: str | None
    licence_stream: str | None
    type_code: str
    issuer_code: str
    reporter: str
    description: str
    reported_on: str


@event
@dataclass(frozen=True)
class CorrectionAnswered(DomainEvent):
    correction_id: str
    outcome: str
    new_identifier: str | None
    reasons: str
    answered_on: str


@event
@dataclass(frozen=True)
class PaperCountReported(DomainEvent):
    """An issuer's paper register for one type and month (latest report wins)."""

    department: str
    type_code: str
    period: str
    issued: int
    changed: int
    withdrawn: int
    in_force: int


@event
@dataclass(frozen=True)
class CaseCountReported(DomainEvent):
    """How many cases of a matter needed a licence type in a month (usage-rate base)."""

    department: str
    matter_code: str
    type_code: str
    period: str
    cases: int


def report(current: Correction | None, evt: CorrectionReported) -> CorrectionReported:
    if current is not None:
        raise AlreadyExistsError(f"correction {evt.correction_id} was already reported")
    return evt


def answer(current: Correction | None, correction_id: str, issuer: str,
           evt: CorrectionAnswered) -> CorrectionAnswered:
    if current is None:
        raise NotFoundError(f"correction {correction_id} was never reported")
    if current.answered:
        raise IllegalTransitionError(f"correction {correction_id} was already answered")
    if current.issuer_code != issuer:
        raise IllegalTransitionError(
            f"correction {correction_id} is for issuer {current.issuer_code}, not {issuer}",
            code="unauthorised")
    return evt


def apply_correction(state: Correction | None, evt: DomainEvent) -> Correction:
    if isinstance(evt, CorrectionReported):
        version = int(evt.identifier.split(".")[8]) if evt.identifier else None
        return Correction(evt.correction_id, evt.issuer_code, evt.licence_stream,
                          reported_version=version)
    if isinstance(evt, CorrectionAnswered) and state is not None:
        return replace(state, answered=True)
    raise TypeError(f"{type(evt).__name__} does not apply to a correction")


def answer_deadline(reported_on: date,
                    working_days: int = ANSWER_WITHIN_WORKING_DAYS) -> date:
    """The last day an answer is on time: the ``working_days``-th working day after the
    (Beijing) day of the report, which itself does not count.

    Working days are Monday to Friday. Public holidays and the weekend days worked in
    their place (调休) are not modelled: over a holiday the deadline falls early, never
    late, so a report is flagged too soon rather than missed.
    """
    if working_days < 0:
        raise ValueError(f"working_days must be 0 or more, got {working_days}")
    day, left = reported_on, working_days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def is_overdue(deadline: date, today: date, answered_on: date | None) -> bool:
    """Open past its deadline, or answered after it."""
    return (answered_on if answered_on is not None else today) > deadline
