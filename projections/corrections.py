"""The corrections queue (Art. 20-21): every report with its age and answer."""

from __future__ import annotations

from typing import ClassVar

from ledger.mapper import Record
from projections.db import ProjectionDB


class CorrectionsQueue:
    name: ClassVar[str] = "corrections"
    schema_version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {
        "corrections": (
            "CREATE TABLE IF NOT EXISTS corrections (correction_id TEXT PRIMARY KEY, kind TEXT"
            " NOT NULL, identifier TEXT, type_code TEXT NOT NULL, issuer_code TEXT NOT NULL,"
            " reporter TEXT NOT NULL, description TEXT NOT NULL, reported_on TEXT NOT NULL,"
            " answered_on TEXT, outcome TEXT, new_identifier TEXT, reasons TEXT)"
        ),
    }
    indexes: ClassVar[tuple[str, ...]] = (
        "CREATE INDEX IF NOT EXISTS corrections_issuer ON corrections (issuer_code)",
    )
    topics: ClassVar[frozenset[str]] = frozenset({"CorrectionReported", "CorrectionAnswered"})

    def apply(self, db: ProjectionDB, record: Record) -> None:
        d = record.data
        if record.type == "CorrectionReported":
            db.execute("INSERT INTO corrections VALUES (?,?,?,?,?,?,?,?,NULL,NULL,NULL,NULL)"
                       " ON CONFLICT (correction_id) DO NOTHING",
                       [d["correction_id"], d["kind"], d["identifier"], d["type_code"],
                        d["issuer_code"], d["reporter"], d["description"], d["reported_on"]])
        else:
            db.execute("UPDATE corrections SET answered_on=?, outcome=?, new_identifier=?,"
                       " reasons=? WHERE correction_id=?",
                       [d["answered_on"], d["outcome"], d["new_identifier"], d["reasons"],
                        d["correction_id"]])
