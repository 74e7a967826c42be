"""Data-quality findings (Art. 14): every recorded finding, open or closed, with its dates.

``recorded_on`` / ``closed_on`` are Beijing dates of the instants the ledger recorded the
finding and its closure; ages are counted from ``recorded_on``. A finding closed and then
found again is reopened: its row shows the latest recording.
"""

from __future__ import annotations

from typing import ClassVar

from ledger.domain.localtime import beijing_date
from ledger.integrity.mapper import Record
from ledger.store.sql import ReadModelWriter


class QualityFindings:
    name: ClassVar[str] = "quality"
    schema_version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {
        "quality_findings": (
            "CREATE TABLE IF NOT EXISTS quality_findings (finding_id TEXT PRIMARY KEY,"
            " issuer_code TEXT NOT NULL, check_name TEXT NOT NULL, subject TEXT NOT NULL,"
            " message TEXT NOT NULL, recorded_by TEXT NOT NULL, recorded_on TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, status TEXT NOT NULL, resolution TEXT, note TEXT,"
            " closed_by TEXT, closed_on TEXT)"
        ),
    }
    indexes: ClassVar[tuple[str, ...]] = (
        "CREATE INDEX IF NOT EXISTS quality_findings_issuer ON quality_findings"
        " (issuer_code, status)",
    )
    topics: ClassVar[frozenset[str]] = frozenset({"QualityFindingRecorded",
                                                  "QualityFindingClosed"})

    def apply(self, db: ReadModelWriter, record: Record) -> None:
        d = record.data
        day = beijing_date(record.at).isoformat()
        if record.type == "QualityFindingRecorded":
            db.execute("DELETE FROM quality_findings WHERE finding_id=?", [d["finding_id"]])
            db.execute("INSERT INTO quality_findings VALUES (?,?,?,?,?,?,?,?,'open',NULL,NULL,"
                       "NULL,NULL)",
                       [d["finding_id"], d["issuer_code"], d["check"], d["subject"],
                        d["message"], d["recorded_by"], day, record.at])
        else:
            db.execute("UPDATE quality_findings SET status='closed', resolution=?, note=?,"
                       " closed_by=?, closed_on=? WHERE finding_id=?",
                       [d["resolution"], d["note"], d["closed_by"], day, d["finding_id"]])
