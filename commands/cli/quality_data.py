"""What ``ledger quality`` reads: licences, catalogue entries, paper counts, findings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from commands.bootstrap import Services
from ledger.domain import streams
from ledger.domain.catalogue import CatalogueEntry, apply_catalogue
from ledger.stock.quality_checks import LicenceRow, PaperRow


def licences(services: Services, issuer: str | None) -> Iterator[LicenceRow]:
    """Every licence's current version, one page at a time (memory stays flat)."""
    last = ""
    cond, params = ("AND l.issuer_code = ?", [issuer]) if issuer else ("", [])
    while True:
        rows = services.read_db.query(
            "SELECT l.identifier, l.type_code, l.issuer_code, l.status, v.fields, l.stream"
            " FROM licences l JOIN licence_versions v ON v.identifier = l.identifier"
            f" WHERE l.stream > ? {cond} ORDER BY l.stream LIMIT 5000", [last, *params])
        for identifier, type_code, issuer_code, status, fields, _ in rows:
            yield LicenceRow(identifier, type_code, issuer_code, status, orjson.loads(fields))
        if len(rows) < 5000:
            return
        last = rows[-1][5]


def entries(services: Services) -> dict[str, CatalogueEntry]:
    out: dict[str, CatalogueEntry] = {}
    for (type_code,) in services.read_db.query("SELECT DISTINCT type_code FROM licences"):
        entry = services.ledger.get(streams.catalogue_stream(type_code), apply_catalogue)
        if entry is not None:
            out[type_code] = entry
    return out


def paper(services: Services, issuer: str | None) -> list[PaperRow]:
    cond, params = ("WHERE p.department = ?", [issuer]) if issuer else ("", [])
    rows = services.read_db.query(
        "SELECT p.department, p.type_code, p.period, p.issued, (SELECT COUNT(*) FROM"
        " stats_issued s WHERE s.department = p.department AND s.type_code = p.type_code"
        f" AND s.period = p.period AND s.issued_in_error = 0) FROM stats_paper p {cond}",
        params)
    return [PaperRow(str(d), str(t), str(p), int(n), int(e)) for d, t, p, n, e in rows]


def open_findings(services: Services, issuer: str | None) -> list[dict[str, Any]]:
    cond, params = ("AND issuer_code = ?", [issuer]) if issuer else ("", [])
    rows = services.read_db.query(
        "SELECT finding_id, issuer_code, check_name, subject, message, recorded_on"
        f" FROM quality_findings WHERE status = 'open' {cond}"
        " ORDER BY recorded_on, finding_id", params)
    keys = ("finding_id", "issuer", "check", "subject", "message", "recorded_on")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def resolve_finding(services: Services, given: str) -> str | None:
    """The finding id ``given`` starts (the table shows 8 characters), ``given`` itself when
    no recorded finding starts so (the caller says "no such finding"), None if several do."""
    prefix = given.strip().lower()
    if len(prefix) >= 36 or not prefix or any(c not in "0123456789abcdef-" for c in prefix):
        return given
    rows = services.read_db.query(
        "SELECT finding_id FROM quality_findings WHERE finding_id LIKE ?"
        " ORDER BY finding_id LIMIT 2", [prefix + "%"])  # hex and '-' only: no wildcard
    if len(rows) > 1:
        return None
    return str(rows[0][0]) if rows else given
