"""Licence state: current state by identifier, holder, type, issuer and status, and every
version's history. Answers ``ledger show`` and ``ledger wallet``."""

from __future__ import annotations

from typing import Any, ClassVar

import orjson

from ledger.mapper import Record
from projections.db import ProjectionDB


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class LicenceState:
    name: ClassVar[str] = "licence_state"
    schema_version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {
        "licences": (
            "CREATE TABLE IF NOT EXISTS licences (stream TEXT PRIMARY KEY, identifier TEXT"
            " NOT NULL, type_code TEXT NOT NULL, issuer_code TEXT NOT NULL, serial TEXT NOT"
            " NULL, version BIGINT NOT NULL, status TEXT NOT NULL, status_reason TEXT,"
            " cancel_kind TEXT, licence_number TEXT NOT NULL, catalogue_version BIGINT NOT"
            " NULL, issue_date TEXT NOT NULL, valid_from TEXT NOT NULL, valid_until TEXT,"
            " fields TEXT NOT NULL, last_operation TEXT NOT NULL, issued_at TEXT NOT NULL,"
            " updated_at TEXT NOT NULL)"
        ),
        "licence_versions": (
            "CREATE TABLE IF NOT EXISTS licence_versions (identifier TEXT PRIMARY KEY,"
            " stream TEXT NOT NULL, version BIGINT NOT NULL, operation TEXT NOT NULL,"
            " kind TEXT NOT NULL, reason TEXT, previous_identifier TEXT, recorded_at TEXT"
            " NOT NULL, fields TEXT NOT NULL)"
        ),
        "licence_holders": (
            "CREATE TABLE IF NOT EXISTS licence_holders (stream TEXT NOT NULL, code_type"
            " TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,"
            " PRIMARY KEY (stream, code_type, code))"
        ),
        "licence_status_history": (
            "CREATE TABLE IF NOT EXISTS licence_status_history (stream TEXT NOT NULL,"
            " seq BIGINT NOT NULL, identifier TEXT NOT NULL, operation TEXT NOT NULL, status"
            " TEXT NOT NULL, reason TEXT, recorded_at TEXT NOT NULL, PRIMARY KEY (stream, seq))"
        ),
    }
    indexes: ClassVar[tuple[str, ...]] = (
        "CREATE INDEX IF NOT EXISTS licences_type ON licences (type_code, status)",
        "CREATE INDEX IF NOT EXISTS licences_issuer ON licences (issuer_code, status)",
        "CREATE INDEX IF NOT EXISTS licence_holders_code ON licence_holders (code)",
        "CREATE INDEX IF NOT EXISTS licence_versions_stream ON licence_versions (stream)",
    )
    topics: ClassVar[frozenset[str]] = frozenset({
        "LicenceIssued", "LicenceVersioned", "LicenceSuspended", "LicenceSuspensionEnded",
        "LicenceCancelled", "LicenceRevoked", "LicencePenaltyRevoked", "LicenceExpired",
        "LicenceTransferredOut", "LicenceTransferOutCancelled", "LicenceStatusSetOther",
    })

    def apply(self, db: ProjectionDB, record: Record) -> None:
        d, stream = record.data, str(record.stream)
        if record.type == "LicenceIssued":
            f = d["fields"]
            db.execute(
                "INSERT INTO licences VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (stream) DO NOTHING",
                [stream, d["identifier"], d["type_code"], d["issuer_code"], d["serial"],
                 d["version"], "01", None, None, f["licence_number"], d["catalogue_version"],
                 f["issue_date"], f["valid_from"], f["valid_until"], _json(f), d["operation"],
                 record.at, record.at])
            self._version(db, stream, d["identifier"], 1, d["operation"], "issue", None,
                          d["previous_identifier"], record.at, f)
            self._holders(db, stream, f["holders"])
            self._history(db, record, d["identifier"], d["operation"], "01", None)
        elif record.type == "LicenceVersioned":
            f = d["fields"]
            renewal = d["kind"] == "renewal"
            db.execute(
                "UPDATE licences SET identifier=?, version=?, licence_number=?,"
                " catalogue_version=?, issue_date=?, valid_from=?, valid_until=?, fields=?,"
                " last_operation=?, updated_at=?"
                + (", status='01', status_reason=NULL, cancel_kind=NULL" if renewal else "")
                + " WHERE stream=?",
                [d["identifier"], d["version"], f["licence_number"], d["catalogue_version"],
                 f["issue_date"], f["valid_from"], f["valid_until"], _json(f), d["operation"],
                 record.at, stream])
            self._version(db, stream, d["identifier"], d["version"], d["operation"], d["kind"],
                          d["reason"], d["previous_identifier"], record.at, f)
            db.execute("DELETE FROM licence_holders WHERE stream=?", [stream])
            self._holders(db, stream, f["holders"])
            if renewal:
                self._history(db, record, d["identifier"], d["operation"], "01", d["reason"])
        else:
            kind = ("issued_in_error" if d.get("issued_in_error") else "business") \
                if record.type == "LicenceCancelled" else None
            db.execute("UPDATE licences SET status=?, status_reason=?, cancel_kind=?,"
                       " last_operation=?, updated_at=? WHERE stream=?",
                       [d["status"], d["reason"], kind, d["operation"], record.at, stream])
            self._history(db, record, d["identifier"], d["operation"], d["status"], d["reason"])

    @staticmethod
    def _version(db: ProjectionDB, stream: str, identifier: str, version: int, operation: str,
                 kind: str, reason: str | None, previous: str | None, at: str,
                 fields: Any) -> None:
        db.execute("INSERT INTO licence_versions VALUES (?,?,?,?,?,?,?,?,?)"
                   " ON CONFLICT (identifier) DO NOTHING",
                   [identifier, stream, version, operation, kind, reason, previous, at,
                    _json(fields)])

    @staticmethod
    def _holders(db: ProjectionDB, stream: str, holders: Any) -> None:
        db.executemany("INSERT INTO licence_holders VALUES (?,?,?,?)"
                       " ON CONFLICT (stream, code_type, code) DO NOTHING",
                       [[stream, h["code_type"], h["code"], h["name"]] for h in holders])

    @staticmethod
    def _history(db: ProjectionDB, record: Record, identifier: str, operation: str,
                 status: str, reason: str | None) -> None:
        db.execute("INSERT INTO licence_status_history VALUES (?,?,?,?,?,?,?)"
                   " ON CONFLICT (stream, seq) DO NOTHING",
                   [str(record.stream), record.version, identifier, operation, status, reason,
                    record.at])
