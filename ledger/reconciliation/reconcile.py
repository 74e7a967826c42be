"""What the events say each issuer did in a month, for comparison with its paper register.

A pure replay of licence events (never the read models: the replay is the independent
check). Periods are calendar months in China Standard Time (UTC+08:00, no daylight
saving), the time of the registers being reconciled. Each event counts in the month of
its *recorded* time (``at``, the ledger's clock when it committed the event): it is the
only date every event carries, and Art. 12 wants paper and electronic acts done together,
so a paper act of March recorded in April is a failure to stay in step that must show up,
not be hidden by back-dating. For a licence type ``T`` of issuing department ``D`` in
month ``P`` (``D`` is the licence's issuer code):

``issued``
    first versions recorded in ``P``: new issues (operation 01) and transfers in (08).
    A conversion of a paper licence issued before (matter ``STOCK-CONVERSION``, what
    ``ledger import`` issues, Art. 12 ¶2) is not a new issue and is left out: the paper
    register has no new act for it. It counts in ``in_force`` like any licence, so once
    the stock is converted the two in-force counts agree (Art. 12 ¶3).
``changed``
    new versions recorded in ``P``: changes and corrections (09) and renewals (02).
``withdrawn``
    withdrawals recorded in ``P`` (operation 05): business cancellation (注销), revocation
    (撤销), penalty revocation (吊销) and transfer out. An act, not a licence, is counted.
    Suspension (temporary), expiry (a lapse by date, not an act) and status 99 are not.
``in_force``
    licences recorded by the end of ``P`` whose status then is not withdrawn (valid,
    suspended or 99) and whose validity covers the last day of ``P`` (valid from on or
    before it, valid until on or after it, or open-ended).

A licence cancelled as *issued in error* by the end of ``P`` is void: it counts in none of
the four (its issue, changes and withdrawals included), and its cancellation is listed
as ``voided`` for information (the paper register has no such column). Every count
depends only on events recorded by the end of ``P``, so a month's figures never change
once it has passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from ledger.domain.licence import STOCK_CONVERSION, WITHDRAWN
from ledger.domain.localtime import BEIJING, beijing_period
from ledger.errors import LedgerError
from ledger.integrity.canonical import format_instant
from ledger.integrity.mapper import Record

MEASURES: Final = ("issued", "changed", "withdrawn", "in_force")
LICENCE_EVENTS: Final = frozenset({
    "LicenceIssued", "LicenceVersioned", "LicenceSuspended", "LicenceSuspensionEnded",
    "LicenceCancelled", "LicenceRevoked", "LicencePenaltyRevoked", "LicenceExpired",
    "LicenceTransferredOut", "LicenceTransferOutCancelled", "LicenceStatusSetOther",
})
_WITHDRAWALS: Final = frozenset({"LicenceCancelled", "LicenceRevoked", "LicencePenaltyRevoked",
                                 "LicenceTransferredOut"})
_PERIOD: Final = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


class PeriodError(LedgerError):
    """A period is not written YYYY-MM."""

    code = "bad_period"


@dataclass(frozen=True)
class Period:
    """A calendar month in China Standard Time, with its bounds as ledger instants."""

    text: str
    start: str  # first instant, inclusive, as the ledger writes instants (UTC)
    end: str  # first instant of the next month, exclusive
    last_day: str  # YYYY-MM-DD

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read ``YYYY-MM``; raise :class:`PeriodError` otherwise."""
        match = _PERIOD.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise PeriodError(f"period {text!r} is not a month written YYYY-MM (e.g. 2026-03)")
        year, month = int(match[1]), int(match[2])
        first = datetime(year, month, 1, tzinfo=BEIJING)
        following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=BEIJING)
        last = date(following.year, following.month, 1) - timedelta(days=1)
        return cls(f"{year:04d}-{month:02d}", format_instant(first),
                   format_instant(following), last.isoformat())

    def contains(self, at: str) -> bool:
        """Whether a recorded instant falls in this month."""
        return self.start <= at < self.end


def period_of(at: str) -> str:
    """The month (YYYY-MM, China Standard Time) of a recorded instant."""
    return beijing_period(at)


@dataclass
class Counts:
    """The licences behind each measure (and the informational ``voided``)."""

    issued: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    withdrawn: list[dict[str, Any]] = field(default_factory=list)
    in_force: list[dict[str, Any]] = field(default_factory=list)
    voided: list[dict[str, Any]] = field(default_factory=list)

    def numbers(self) -> dict[str, int]:
        """The four compared figures and ``voided``."""
        return {m: len(getattr(self, m)) for m in (*MEASURES, "voided")}

    @property
    def active(self) -> bool:
        """Whether anything at all is counted."""
        return any(self.numbers().values())


@dataclass
class _Licence:
    type_code: str
    issuer: str
    events: list[Record] = field(default_factory=list)


class Replay:
    """One pass over a prefix of the log, keeping the events of each licence."""

    def __init__(self, departments: Iterable[str] | None = None) -> None:
        """Keep only licences of ``departments`` (all when None)."""
        self._only = set(departments) if departments is not None else None
        self._licences: dict[Any, _Licence] = {}

    def add(self, record: Record) -> None:
        """Take the next record in global order (others than licence events are ignored)."""
        if record.type not in LICENCE_EVENTS:
            return
        if record.type == "LicenceIssued":
            issuer = record.data["issuer_code"]
            if self._only is None or issuer in self._only:
                self._licences[record.stream] = _Licence(record.data["type_code"], issuer)
        licence = self._licences.get(record.stream)
        if licence is not None:
            licence.events.append(record)

    def add_all(self, records: Iterable[Record]) -> Replay:
        """Take many records; returns self."""
        for record in records:
            self.add(record)
        return self

    def types_of(self, department: str) -> set[str]:
        """Licence types the department has issued."""
        return {lic.type_code for lic in self._licences.values() if lic.issuer == department}

    def counts(self, department: str, type_code: str, period: Period) -> Counts:
        """The four measures (see the module docstring) for one department, type, month."""
        out = Counts()
        for licence in self._licences.values():
            if licence.issuer == department and licence.type_code == type_code:
                _tally(licence.events, period, out)
        for values in vars(out).values():
            values.sort(key=lambda e: (e.get("recorded_at", ""), e["identifier"]))
        return out


def _tally(events: list[Record], period: Period, out: Counts) -> None:
    """Add one licence's contribution to ``out`` (events are in global order)."""
    issued: list[dict[str, Any]] = []
    acts: dict[str, list[dict[str, Any]]] = {"changed": [], "withdrawn": []}
    status: str | None = None
    identifier, fields, voided = "", {}, False
    for record in events:
        if record.at >= period.end:
            break
        data, inside = record.data, period.contains(record.at)
        entry = {"recorded_at": record.at, "event": record.type}
        if record.type in ("LicenceIssued", "LicenceVersioned"):
            identifier, fields = data["identifier"], data["fields"]
            if record.type == "LicenceIssued" or data["kind"] == "renewal":
                status = "01"
            target = issued if record.type == "LicenceIssued" else acts["changed"]
            converted = record.type == "LicenceIssued" and fields.get(
                "matter_code") == STOCK_CONVERSION
            if inside and not converted:
                target.append({"identifier": identifier, **entry})
            continue
        status = data["status"]
        if record.type == "LicenceCancelled" and data["issued_in_error"]:
            voided = True
            if inside:
                out.voided.append({"identifier": identifier, **entry})
        elif record.type in _WITHDRAWALS and inside:
            acts["withdrawn"].append({"identifier": identifier, **entry})
    if status is None or voided:
        return
    out.issued.extend(issued)
    out.changed.extend(acts["changed"])
    out.withdrawn.extend(acts["withdrawn"])
    until = fields.get("valid_until")
    if status not in WITHDRAWN and fields["valid_from"] <= period.last_day and (
            until is None or until >= period.last_day):
        out.in_force.append({"identifier": identifier, "status": status,
                             "valid_until": until})

