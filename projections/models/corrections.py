"""The corrections queue (Art. 20-21): every report with its age and answer.

``reported_at`` / ``answered_at`` are the instants the ledger recorded the report and the
answer; ``reported_on`` / ``answered_on`` are their Beijing dates, derived here from those
instants rather than copied from the events, whose date fields were written as UTC dates:
ages and deadlines are counted on Beijing's calendar.
"""

from __future__ import annotations

from typing import ClassVar

from ledger.domain.localtime import beijing_date
from ledger.integrity.mapper import Record
from ledger.store.sql import ReadModelWriter


class CorrectionsQueue:
    name: ClassVar[str] = "corrections"
    schema_version: ClassVar[int] = 2  # v2: reported_at, answered_at; dates in Beijing time
    tables: ClassVar[dict[str, str]] = {
        "corrections": (
            "CREATE TABLE IF NOT EXISTS corrections (correction_id TEXT PRIMARY KEY, kind TEXT"
            " NOT NULL, identifier TEXT, type_code TEXT NOT NULL, issuer_code TEXT NOT NULL,"
            " reporter TEXT NOT NULL, description TEXT NOT NULL, reported_on TEXT NOT NULL,"
            " answered_on TEXT, outcome TEXT, new_identifier TEXT, reasons TEXT,"
            " reported_at TEXT NOT NULL, answered_at TEXT)"
        ),
    }
    indexes: ClassVar[tuple[str, ...]] = (
        "CREATE INDEX IF NOT EXISTS corrections_issuer ON corrections (issuer_code)",
    )
    topics: ClassVar[frozenset[str]] = frozenset({"CorrectionReported", "CorrectionAnswered"})

    def apply(self, db: ReadModelWriter, record: Record) -> None:
        d = record.data
        day = beijing_date(record.at).isoformat()
        if record.type == "CorrectionReported":
            db.execute("INSERT INTO corrections VALUES (?,?,?,?,?,?,?,?,NULL,NULL,NULL,NULL,?,"
                       "NULL) ON CONFLICT (correction_id) DO NOTHING",
                       [d["correction_id"], d["kind"], d["identifier"], d["type_code"],
                        d["issuer_code"], d["reporter"], d["description"], day, record.at])
        else:
            db.execute("UPDATE corrections SET answered_on=?, outcome=?, new_identifier=?,"
                       " reasons=?, answered_at=? WHERE correction_id=?",
                       [day, d["outcome"], d["new_identifier"], d["reasons"], record.at,
                        d["correction_id"]])
