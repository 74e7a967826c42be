"""Queries on the read models (``get_…``): what ``ledger show`` and friends print."""

from __future__ import annotations

from typing import Any

import orjson

from ledger.domain.licence import STATUS_NAMES
from ledger.errors import NotFoundError
from ledger.store.sql import ProjectionDB


def get_licence(db: ProjectionDB, identifier: str) -> dict[str, Any]:
    """The licence an identifier (of any version) names, with its history."""
    row = db.query("SELECT stream FROM licence_versions WHERE identifier = ?", [identifier])
    if not row:
        raise NotFoundError(f"licence {identifier} is not in the ledger (or the read models"
                            " are behind: run `ledger project`)")
    stream = row[0][0]
    cols = ("stream", "identifier", "type_code", "issuer_code", "serial", "version", "status",
            "status_reason", "cancel_kind", "licence_number", "catalogue_version",
            "issue_date", "valid_from", "valid_until", "last_operation", "issued_at",
            "updated_at")
    # The current version's fields are those of its row in licence_versions.
    current = dict(zip((*cols, "fields"), db.query(
        f"SELECT {', '.join('l.' + c for c in cols)}, v.fields FROM licences AS l JOIN"
        " licence_versions AS v ON v.identifier = l.identifier WHERE l.stream = ?",
        [stream])[0], strict=True))
    fields = orjson.loads(current.pop("fields"))
    versions = [
        {"identifier": r[0], "version": r[1], "operation": r[2], "kind": r[3], "reason": r[4],
         "previous_identifier": r[5], "recorded_at": r[6]}
        for r in db.query("SELECT identifier, version, operation, kind, reason,"
                          " previous_identifier, recorded_at FROM licence_versions"
                          " WHERE stream = ? ORDER BY version", [stream])
    ]
    history = [
        {"identifier": r[0], "operation": r[1], "status": r[2], "reason": r[3],
         "recorded_at": r[4]}
        for r in db.query("SELECT identifier, operation, status, reason, recorded_at FROM"
                          " licence_status_history WHERE stream = ? ORDER BY seq", [stream])
    ]
    return {
        **current,
        "status_name": STATUS_NAMES.get(current["status"], "?"),
        "requested": identifier,
        "is_current_version": identifier == current["identifier"],
        "holders": fields["holders"],
        "face": fields["face"],
        "paper_number": fields.get("paper_number"),
        "matter_code": fields["matter_code"],
        "case_number": fields["case_number"],
        "file_hash": fields.get("file_hash"),
        "versions": versions,
        "status_history": history,
    }


def get_catalogue_entry(db: ProjectionDB, type_code: str) -> dict[str, Any] | None:
    """The latest catalogue definition of a licence type (name, face fields …), if known."""
    rows = db.query("SELECT definition FROM catalogue_entries WHERE type_code = ?", [type_code])
    return orjson.loads(rows[0][0]) if rows else None


def get_catalogue(db: ProjectionDB) -> list[dict[str, Any]]:
    """Every licence type of the catalogue, by code: its name and latest definition."""
    return [{"type_code": str(code), "name": str(name), "definition": orjson.loads(d)}
            for code, name, d in db.query("SELECT type_code, name, definition FROM"
                                          " catalogue_entries ORDER BY type_code")]
