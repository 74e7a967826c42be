"""Queries for holders, issuers, users and the management department (``get_…``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from ledger.domain.licence import STATUS_NAMES
from ledger.errors import NotFoundError
from ledger.store.sql import ProjectionDB


def get_wallet(db: ProjectionDB, holder_code: str, today: date) -> dict[str, Any]:
    """A holder's licences (all versions' current state) and live grants they gave."""
    licences = [
        {"identifier": r[0], "type_code": r[1], "licence_number": r[2], "issuer_code": r[3],
         "status": r[4], "status_name": STATUS_NAMES.get(r[4], "?"), "valid_until": r[5]}
        for r in db.query(
            "SELECT l.identifier, l.type_code, l.licence_number, l.issuer_code, l.status,"
            " l.valid_until FROM licence_holders h JOIN licences l ON l.stream = h.stream"
            " WHERE h.code = ? ORDER BY l.issued_at, l.identifier", [holder_code])
    ]
    day = today.isoformat()
    grants = [
        {"grant_id": r[0], "kind": r[1], "grantee": r[2], "identifier": r[3],
         "rights": orjson.loads(r[4]), "matter_code": r[5], "valid_from": r[6],
         "valid_until": r[7]}
        for r in db.query(
            "SELECT grant_id, kind, grantee, identifier, rights, matter_code, valid_from,"
            " valid_until FROM grants WHERE holder_code = ? AND revoked = 0 AND valid_from <= ?"
            " AND valid_until >= ? ORDER BY granted_at, grant_id", [holder_code, day, day])
    ]
    return {"holder_code": holder_code, "as_of": day, "licences": licences,
            "live_grants": grants}


ACCESS_COLUMNS = ("recorded_at", "action", "mode", "outcome", "identifier", "type_code",
                  "issuer_code", "organisation", "operator", "matter_code", "case_number",
                  "purpose", "grant_id", "code", "reason")


def get_access_log(db: ProjectionDB, *, licence: str | None = None, issuer: str | None = None,
                   user: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Reads of one licence (any version), of one issuer's licences, or by one department."""
    if licence is not None:
        rows = db.query("SELECT stream FROM licence_versions WHERE identifier = ?", [licence])
        if not rows:
            raise NotFoundError(f"licence {licence} is not in the ledger")
        where, value = "licence_stream = ?", rows[0][0]
    elif issuer is not None:
        where, value = "issuer_code = ?", issuer
    else:
        where, value = "organisation = ?", user
    return [dict(zip(ACCESS_COLUMNS, r, strict=True)) for r in db.query(
        f"SELECT {', '.join(ACCESS_COLUMNS)} FROM access_log WHERE {where}"
        f" ORDER BY recorded_at, access_stream LIMIT {int(limit)}", [value])]


def get_stats(db: ProjectionDB, period: str | None) -> dict[str, Any]:
    """Issuance and usage rates per department, licence type and month."""
    cond, params = ("WHERE period = ?", [period]) if period else ("", [])
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def row(dept: str, type_code: str, p: str) -> dict[str, Any]:
        return rows.setdefault((dept, type_code, p), {
            "department": dept, "licence_type": type_code, "period": p,
            "electronic_issued": 0, "paper_issued": None, "issuance_rate": None,
            "cases_using_electronic": 0, "cases_requiring": None, "usage_rate": None})

    for dept, t, p, n in db.query(
            "SELECT department, type_code, period, COUNT(*) FROM stats_issued"
            f" {cond + (' AND' if cond else 'WHERE')} issued_in_error = 0"
            " GROUP BY department, type_code, period", params):
        row(dept, t, p)["electronic_issued"] = int(n)
    for dept, t, p, n in db.query("SELECT department, type_code, period, issued FROM"
                                  f" stats_paper {cond}", params):
        row(dept, t, p)["paper_issued"] = int(n)
    for dept, t, p, n in db.query("SELECT department, type_code, period, COUNT(*) FROM"
                                  f" stats_uses {cond} GROUP BY department, type_code, period",
                                  params):
        row(dept, t, p)["cases_using_electronic"] = int(n)
    # Summed here, not by SUM(): counts go up to 2^53 each, and SQLite's SUM() of a
    # department's matters could pass 2^63 and fail ("integer overflow") for everyone.
    for dept, t, p, n in db.query("SELECT department, type_code, period, cases FROM"
                                  f" stats_cases {cond}", params):
        counted = row(dept, t, p)
        counted["cases_requiring"] = (counted["cases_requiring"] or 0) + int(n)
    for r in rows.values():
        if r["paper_issued"]:
            r["issuance_rate"] = round(r["electronic_issued"] / r["paper_issued"], 4)
        if r["cases_requiring"]:
            r["usage_rate"] = round(r["cases_using_electronic"] / r["cases_requiring"], 4)
    return {"period": period, "rows": [rows[k] for k in sorted(rows)]}
