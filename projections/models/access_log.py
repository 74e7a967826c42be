"""Access log (Art. 27): every read, allowed or refused — per licence, per issuer (who used
my licences), per using department. Also the base of the usage rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Final

import orjson

from ledger.integrity.mapper import Record
from ledger.store.sql import ReadModelWriter


class AccessLog:
    name: ClassVar[str] = "access_log"
    schema_version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {
        "access_log": (
            "CREATE TABLE IF NOT EXISTS access_log (access_stream TEXT PRIMARY KEY,"
            " recorded_at TEXT NOT NULL, day TEXT NOT NULL, action TEXT NOT NULL, mode TEXT"
            " NOT NULL, outcome TEXT NOT NULL, identifier TEXT, licence_stream TEXT,"
            " type_code TEXT, issuer_code TEXT, organisation TEXT NOT NULL, operator TEXT NOT"
            " NULL, matter_code TEXT NOT NULL, case_number TEXT NOT NULL, purpose TEXT NOT"
            " NULL, grant_id TEXT, code TEXT, reason TEXT, fields_returned TEXT NOT NULL,"
            " command_id TEXT NOT NULL)"
        ),
    }
    indexes: ClassVar[tuple[str, ...]] = (
        "CREATE INDEX IF NOT EXISTS access_by_licence ON access_log (licence_stream)",
        "CREATE INDEX IF NOT EXISTS access_by_issuer ON access_log (issuer_code)",
        "CREATE INDEX IF NOT EXISTS access_by_user ON access_log (organisation)",
    )
    topics: ClassVar[frozenset[str]] = frozenset({"AccessRecorded"})

    def apply(self, db: ReadModelWriter, record: Record) -> None:
        self.apply_page(db, [record])

    def apply_page(self, db: ReadModelWriter, records: Sequence[Record]) -> None:
        db.insert_rows("access_log", COLUMNS, ("access_stream",),
                       [_row(r) for r in records], "NOTHING")


COLUMNS: Final = (
    "access_stream", "recorded_at", "day", "action", "mode", "outcome", "identifier",
    "licence_stream", "type_code", "issuer_code", "organisation", "operator", "matter_code",
    "case_number", "purpose", "grant_id", "code", "reason", "fields_returned", "command_id")


def _row(record: Record) -> list[Any]:
    d = record.data
    return [record.stream_id, record.at, d["day"], d["action"], d["mode"], d["outcome"],
            d["identifier"], d["licence_stream"], d["type_code"], d["issuer_code"],
            d["organisation"], d["operator"], d["matter_code"], d["case_number"],
            d["purpose"], d["grant_id"], d["code"], d["reason"],
            orjson.dumps(list(d["fields_returned"])).decode(),
            (record.cause or {}).get("command_id", "")]
