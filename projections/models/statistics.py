"""Issuance rate (发证率) and usage rate (用证率), Art. 3, 31, with DOMAIN.md §8's working
definitions:

* issuance rate = electronic licences issued (new issue or transfer in; versions and
  licences cancelled as issued in error excluded), by the month of their issue date
  ÷ paper licences issued, as the issuer's paper-count report for that month says;
* usage rate = distinct cases (matter, case number) of matters requiring the licence type
  in which the using department obtained it by an allowed electronic verify, view,
  download or annotation ÷ cases of those matters, as the department's case-count report
  says (one report per department, matter, type and month).
A rate is null where its denominator was never reported.

Months are Beijing months (UTC+08:00, :mod:`ledger.domain.localtime`): a use recorded at
2026-01-31T17:00Z is a February use, as the department's own February count has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from ledger.domain.localtime import beijing_period
from ledger.integrity.mapper import Record
from ledger.store.sql import ReadModelWriter
from projections.engine.base import PageWrites, flush_all

USES: Final = ("verify", "view", "download", "annotate")
USE_COLUMNS: Final = "department, type_code, period, matter_code, case_number"


class Statistics:
    name: ClassVar[str] = "statistics"
    schema_version: ClassVar[int] = 2
    tables: ClassVar[dict[str, str]] = {
        "stats_issued": (
            "CREATE TABLE IF NOT EXISTS stats_issued (stream TEXT PRIMARY KEY, department TEXT"
            " NOT NULL, type_code TEXT NOT NULL, period TEXT NOT NULL, issued_in_error BIGINT"
            " NOT NULL)"
        ),
        "stats_paper": (
            "CREATE TABLE IF NOT EXISTS stats_paper (department TEXT NOT NULL, type_code TEXT"
            " NOT NULL, period TEXT NOT NULL, issued BIGINT NOT NULL, changed BIGINT NOT NULL,"
            " withdrawn BIGINT NOT NULL, in_force BIGINT NOT NULL,"
            " PRIMARY KEY (department, type_code, period))"
        ),
        "stats_cases": (
            "CREATE TABLE IF NOT EXISTS stats_cases (department TEXT NOT NULL, matter_code TEXT"
            " NOT NULL, type_code TEXT NOT NULL, period TEXT NOT NULL, cases BIGINT NOT NULL,"
            " PRIMARY KEY (department, matter_code, type_code, period))"
        ),
        # Every case that obtained a licence type electronically, whatever its matter.
        "stats_electronic_uses": (
            "CREATE TABLE IF NOT EXISTS stats_electronic_uses (department TEXT NOT NULL,"
            " type_code TEXT NOT NULL, period TEXT NOT NULL, matter_code TEXT NOT NULL,"
            " case_number TEXT NOT NULL,"
            " PRIMARY KEY (department, matter_code, type_code, period, case_number))"
        ),
        # The numerator: those of them whose (department, matter, type, month) has a
        # case-count report, i.e. the cases the denominator counts.
        "stats_uses": (
            "CREATE TABLE IF NOT EXISTS stats_uses (department TEXT NOT NULL, type_code TEXT NOT"
            " NULL, period TEXT NOT NULL, matter_code TEXT NOT NULL, case_number TEXT NOT NULL,"
            " PRIMARY KEY (department, type_code, period, matter_code, case_number))"
        ),
    }
    indexes: ClassVar[tuple[str, ...]] = ()
    topics: ClassVar[frozenset[str]] = frozenset({
        "LicenceIssued", "LicenceCancelled", "PaperCountReported", "CaseCountReported",
        "AccessRecorded",
    })

    def apply(self, db: ReadModelWriter, record: Record) -> None:
        self.apply_page(db, [record])

    def apply_page(self, db: ReadModelWriter, records: Sequence[Record]) -> None:
        issued = PageWrites("stats_issued", ("stream", "department", "type_code", "period",
                                             "issued_in_error"), ("stream",))
        paper = PageWrites("stats_paper", ("department", "type_code", "period", "issued",
                                           "changed", "withdrawn", "in_force"),
                           ("department", "type_code", "period"))
        cases = PageWrites("stats_cases", ("department", "matter_code", "type_code", "period",
                                           "cases"),
                           ("department", "matter_code", "type_code", "period"))
        uses: list[tuple[str, str, str, str, str]] = []
        for record in records:
            d = record.data
            if record.type == "LicenceIssued":
                issued.insert([record.stream_id, d["issuer_code"], d["type_code"],
                               d["fields"]["issue_date"][:7], 0])
            elif record.type == "LicenceCancelled":
                if d["issued_in_error"]:
                    issued.update([record.stream_id], {"issued_in_error": 1})
            elif record.type == "PaperCountReported":
                paper.insert([d["department"], d["type_code"], d["period"], d["issued"],
                              d["changed"], d["withdrawn"], d["in_force"]],
                             ("issued", "changed", "withdrawn", "in_force"))
            elif record.type == "CaseCountReported":
                cases.insert([d["department"], d["matter_code"], d["type_code"], d["period"],
                              d["cases"]], ("cases",))
            elif (d["outcome"] == "allowed" and d["action"] in USES
                  and d["type_code"] is not None):
                # The month of the recorded instant in Beijing, not ``day``: events recorded
                # before the ledger kept Beijing dates carry the UTC date there.
                uses.append((d["organisation"], d["type_code"], beijing_period(record.at),
                             d["matter_code"], d["case_number"]))
        reported = cases.keys()
        flush_all(db, (issued, paper, cases))
        # Usage rate: the numerator counts only cases of matters the denominator counts. A
        # department also verifies licences in matters it never reported as requiring the
        # type (another matter, a holder's consent for some other purpose); counting those
        # over a denominator that excludes them overstated the rate, past 100 % at times.
        # A use may come before or after its month's report, so both sides are joined here:
        # the page's uses are kept whatever their matter, then each reported key (now in
        # stats_cases) takes in its uses so far, then each new use enters the numerator if
        # its key is reported. The result does not depend on the order within the page.
        db.insert_rows("stats_electronic_uses", USE_COLUMNS.split(", "),
                       ("department", "matter_code", "type_code", "period", "case_number"),
                       uses, "NOTHING", repeats=True)  # a case may use a type twice
        db.run_for_rows(
            "stats_cases", ("department", "matter_code", "type_code", "period"), reported,
            f"INSERT INTO stats_uses ({USE_COLUMNS}) SELECT {USE_COLUMNS} FROM"
            " stats_electronic_uses JOIN {rows} USING (department, matter_code, type_code,"
            " period) WHERE true ON CONFLICT DO NOTHING")
        db.run_for_rows(
            "stats_uses", USE_COLUMNS.split(", "), uses,
            f"INSERT INTO stats_uses ({USE_COLUMNS}) SELECT {USE_COLUMNS} FROM {{rows}} WHERE"
            " EXISTS (SELECT 1 FROM stats_cases AS c WHERE c.department = batch.department"
            " AND c.type_code = batch.type_code AND c.period = batch.period AND"
            " c.matter_code = batch.matter_code) ON CONFLICT DO NOTHING")
