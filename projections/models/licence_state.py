"""Licence state: current state by identifier, holder, type, issuer and status, and every
version's history. Answers ``ledger show`` and ``ledger wallet``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Final

import orjson

from ledger.integrity.mapper import Record
from ledger.store.sql import ReadModelWriter
from projections.engine.base import PageWrites


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class LicenceState:
    name: ClassVar[str] = "licence_state"
    # 2: a licence's fields live only in licence_versions (its current identifier's row)
    schema_version: ClassVar[int] = 2
    tables: ClassVar[dict[str, str]] = {
        "licences": (
            "CREATE TABLE IF NOT EXISTS licences (stream TEXT PRIMARY KEY, identifier TEXT"
            " NOT NULL, type_code TEXT NOT NULL, issuer_code TEXT NOT NULL, serial TEXT NOT"
            " NULL, version BIGINT NOT NULL, status TEXT NOT NULL, status_reason TEXT,"
            " cancel_kind TEXT, licence_number TEXT NOT NULL, catalogue_version BIGINT NOT"
            " NULL, issue_date TEXT NOT NULL, valid_from TEXT NOT NULL, valid_until TEXT,"
            " last_operation TEXT NOT NULL, issued_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
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

    def apply(self, db: ReadModelWriter, record: Record) -> None:
        self.apply_page(db, [record])

    def apply_page(self, db: ReadModelWriter, records: Sequence[Record]) -> None:
        page = _Page()
        for record in records:
            page.add(record)
        page.flush(db)


LICENCE_COLUMNS: Final = (
    "stream", "identifier", "type_code", "issuer_code", "serial", "version", "status",
    "status_reason", "cancel_kind", "licence_number", "catalogue_version", "issue_date",
    "valid_from", "valid_until", "last_operation", "issued_at", "updated_at")
VERSION_COLUMNS: Final = ("identifier", "stream", "version", "operation", "kind", "reason",
                          "previous_identifier", "recorded_at", "fields")
HISTORY_COLUMNS: Final = ("stream", "seq", "identifier", "operation", "status", "reason",
                          "recorded_at")


class _Page:
    """One page's writes, folded in memory: a licence issued, changed and suspended within
    the page is written once, as it ends the page."""

    def __init__(self) -> None:
        self.licences = PageWrites("licences", LICENCE_COLUMNS, ("stream",))
        # Versions and status history only ever gain rows, one per event: no folding.
        self.versions: list[list[Any]] = []
        self.history: list[list[Any]] = []
        # Holders by stream: whether the page replaces the stream's holders (a new version
        # deletes them all first), and the rows to insert (first one per key wins).
        self.holders: dict[str, tuple[bool, dict[tuple[str, str], list[str]]]] = {}

    def add(self, record: Record) -> None:
        d, stream, at = record.data, record.stream_id, record.at
        if record.type == "LicenceIssued":
            f = d["fields"]
            fields = _json(f)
            self.licences.insert(
                [stream, d["identifier"], d["type_code"], d["issuer_code"], d["serial"],
                 d["version"], "01", None, None, f["licence_number"], d["catalogue_version"],
                 f["issue_date"], f["valid_from"], f["valid_until"], d["operation"], at, at])
            self.versions.append([d["identifier"], stream, 1, d["operation"], "issue", None,
                                  d["previous_identifier"], at, fields])
            self._holders(stream, f["holders"], replace=False)
            self._history(record, "01", None)
        elif record.type == "LicenceVersioned":
            f = d["fields"]
            fields = _json(f)
            values = {"identifier": d["identifier"], "version": d["version"],
                      "licence_number": f["licence_number"],
                      "catalogue_version": d["catalogue_version"],
                      "issue_date": f["issue_date"], "valid_from": f["valid_from"],
                      "valid_until": f["valid_until"], "last_operation": d["operation"],
                      "updated_at": at}
            renewal = d["kind"] == "renewal"
            if renewal:
                values.update(status="01", status_reason=None, cancel_kind=None)
            self.licences.update([stream], values)
            self.versions.append([d["identifier"], stream, d["version"], d["operation"],
                                  d["kind"], d["reason"], d["previous_identifier"], at, fields])
            self._holders(stream, f["holders"], replace=True)
            if renewal:
                self._history(record, "01", d["reason"])
        else:
            kind = ("issued_in_error" if d.get("issued_in_error") else "business") \
                if record.type == "LicenceCancelled" else None
            self.licences.update([stream], {
                "status": d["status"], "status_reason": d["reason"], "cancel_kind": kind,
                "last_operation": d["operation"], "updated_at": at})
            self._history(record, d["status"], d["reason"])

    def _holders(self, stream: str, holders: Any, replace: bool) -> None:
        held = self.holders.get(stream)
        if replace or held is None:
            held = (replace or (held is not None and held[0]), {})
            self.holders[stream] = held
        for h in holders:
            held[1].setdefault((h["code_type"], h["code"]),
                               [stream, h["code_type"], h["code"], h["name"]])

    def _history(self, record: Record, status: str, reason: str | None) -> None:
        d = record.data
        self.history.append([record.stream_id, record.version, d["identifier"],
                             d["operation"], status, reason, record.at])

    def flush(self, db: ReadModelWriter) -> None:
        self.licences.flush(db)
        db.insert_rows("licence_versions", VERSION_COLUMNS, ("identifier",), self.versions,
                       "NOTHING")
        db.insert_rows("licence_status_history", HISTORY_COLUMNS, ("stream", "seq"),
                       self.history, "NOTHING")
        db.delete_rows("licence_holders", ("stream",),
                       [[stream] for stream, (replace, _) in self.holders.items() if replace])
        db.insert_rows("licence_holders", ("stream", "code_type", "code", "name"),
                       ("stream", "code_type", "code"),
                       [row for _, rows in self.holders.values() for row in rows.values()],
                       "NOTHING")
