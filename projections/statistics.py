"""Issuance rate (发证率) and usage rate (用证率), Art. 3, 31, with DOMAIN.md §8's working
definitions:

* issuance rate = electronic licences issued (new issue or transfer in; versions and
  licences cancelled as issued in error excluded), by the month of their issue date
  ÷ paper licences issued, as the issuer's paper-count report for that month says;
* usage rate = distinct cases (matter, case number) in which a using department obtained
  the licence type by an allowed electronic verify, view, download or annotation
  ÷ cases of matters requiring that type, as the department's case-count report says.
A rate is null where its denominator was never reported.
"""

from __future__ import annotations

from typing import ClassVar

from ledger.mapper import Record
from projections.db import ProjectionDB

USES = ("verify", "view", "download", "annotate")


class Statistics:
    name: ClassVar[str] = "statistics"
    schema_version: ClassVar[int] = 1
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

    def apply(self, db: ProjectionDB, record: Record) -> None:
        d = record.data
        if record.type == "LicenceIssued":
            db.execute("INSERT INTO stats_issued VALUES (?,?,?,?,0) ON CONFLICT (stream)"
                       " DO NOTHING", [str(record.stream), d["issuer_code"], d["type_code"],
                                       d["fields"]["issue_date"][:7]])
        elif record.type == "LicenceCancelled":
            if d["issued_in_error"]:
                db.execute("UPDATE stats_issued SET issued_in_error = 1 WHERE stream = ?",
                           [str(record.stream)])
        elif record.type == "PaperCountReported":
            db.execute("INSERT INTO stats_paper VALUES (?,?,?,?,?,?,?) ON CONFLICT (department,"
                       " type_code, period) DO UPDATE SET issued=excluded.issued,"
                       " changed=excluded.changed, withdrawn=excluded.withdrawn,"
                       " in_force=excluded.in_force",
                       [d["department"], d["type_code"], d["period"], d["issued"], d["changed"],
                        d["withdrawn"], d["in_force"]])
        elif record.type == "CaseCountReported":
            db.execute("INSERT INTO stats_cases VALUES (?,?,?,?,?) ON CONFLICT (department,"
                       " matter_code, type_code, period) DO UPDATE SET cases=excluded.cases",
                       [d["department"], d["matter_code"], d["type_code"], d["period"],
                        d["cases"]])
        elif (d["outcome"] == "allowed" and d["action"] in USES
              and d["type_code"] is not None):
            db.execute("INSERT INTO stats_uses VALUES (?,?,?,?,?) ON CONFLICT (department,"
                       " type_code, period, matter_code, case_number) DO NOTHING",
                       [d["organisation"], d["type_code"], d["day"][:7], d["matter_code"],
                        d["case_number"]])
