"""Beijing time: the calendar the regulation's days, months and deadlines are counted in.

The ledger records instants in UTC; the departments it serves work in China Standard Time,
UTC+08:00 all year (China has kept no daylight saving since 1991), so a fixed offset is
exact and no time-zone database is needed. A read at ``2026-03-01T16:30:00Z`` happens on
2026-03-02 in Beijing, and that is the day its daily cap, its grant window and its month
are judged by.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Final

from ledger.integrity.canonical import parse_instant

BEIJING: Final = timezone(timedelta(hours=8), "CST")


def to_beijing(instant: str | datetime) -> datetime:
    """The same instant on Beijing's clock; ``instant`` is aware, or text with Z or offset."""
    moment = parse_instant(instant) if isinstance(instant, str) else instant
    if moment.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return moment.astimezone(BEIJING)


def beijing_date(instant: str | datetime) -> date:
    """The calendar date in Beijing at ``instant`` (16:00:00Z is already the next day)."""
    return to_beijing(instant).date()


def beijing_period(instant: str | datetime) -> str:
    """The Beijing month of ``instant``, written ``YYYY-MM``."""
    return beijing_date(instant).strftime("%Y-%m")
