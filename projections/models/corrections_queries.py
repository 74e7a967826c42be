"""The corrections queue as the management department sees it (Art. 21): open reports,
their ages and deadlines, and which are overdue.

Ages and deadlines are counted on Beijing's calendar against the ``now`` the caller passes
(the CLI passes the wall clock, tests a fixed instant). The deadline rule, and how working
days are counted, is :func:`ledger.domain.corrections.answer_deadline`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ledger.domain.corrections import ANSWER_WITHIN_WORKING_DAYS, answer_deadline, is_overdue
from ledger.domain.localtime import beijing_date
from ledger.integrity.canonical import format_instant
from ledger.store.sql import ProjectionDB

COLUMNS = ("correction_id", "kind", "identifier", "type_code", "issuer_code", "reporter",
           "description", "reported_at", "reported_on", "answered_at", "answered_on",
           "outcome", "new_identifier", "reasons")


def get_corrections(db: ProjectionDB, now: datetime, *, issuer: str | None = None,
                    overdue_only: bool = False, include_answered: bool = False,
                    within: int = ANSWER_WITHIN_WORKING_DAYS) -> dict[str, Any]:
    """Corrections oldest first: open ones (all of them with ``include_answered``), each
    with its age in days, its deadline (``within`` working days) and whether it is overdue.

    ``age_days`` runs from the Beijing day of the report to today for an open report, to
    the day of the answer for an answered one; an answered report is ``overdue`` when it
    was answered after its deadline. ``overdue_only`` keeps only the overdue rows.
    """
    today = beijing_date(now)
    where = [] if include_answered else ["answered_at IS NULL"]
    params: list[Any] = []
    if issuer is not None:
        where.append("issuer_code = ?")
        params.append(issuer)
    cond = f" WHERE {' AND '.join(where)}" if where else ""
    rows = []
    for r in db.query(f"SELECT {', '.join(COLUMNS)} FROM corrections{cond}"
                      " ORDER BY reported_at, correction_id", params):
        row = dict(zip(COLUMNS, r, strict=True))
        reported = date.fromisoformat(row["reported_on"])
        answered = date.fromisoformat(row["answered_on"]) if row["answered_on"] else None
        deadline = answer_deadline(reported, within)
        row.update(status="open" if answered is None else "answered",
                   age_days=((answered or today) - reported).days,
                   deadline=deadline.isoformat(),
                   overdue=is_overdue(deadline, today, answered))
        if row["overdue"] or not overdue_only:
            rows.append(row)
    return {"as_of": format_instant(now), "today": today.isoformat(), "issuer": issuer,
            "answer_within_working_days": within,
            "working_days": "Monday to Friday in Beijing time; public holidays not modelled",
            "corrections": rows}
