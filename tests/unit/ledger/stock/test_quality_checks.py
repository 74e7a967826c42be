"""The data-quality checks over licences, on hand-made rows (negative cases first)."""

from __future__ import annotations

from typing import Any

from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.identifiers import make_licence_identifier, make_uscc
from ledger.stock.quality_checks import LicenceRow, PaperRow, check_licences, check_paper

AUTHORITY = make_uscc("11320581", "AY4CL12T")
ISSUER = make_uscc("11320581", "H3BJ1XG6")
TYPE = AUTHORITY + "002"
HOLDER = make_uscc("91320581", "MA1XK2C3")
ENTRY = CatalogueEntry(TYPE, 2, {"face_fields": [
    {"name": "operator_name", "type": "string", "required": True},
    {"name": "premises", "type": "string", "required": False}]})


def row(serial: str, *, status: str = "01", until: str | None = "2030-01-01",
        number: str | None = None, name: str = "甲公司", code: str = HOLDER,
        face: dict[str, Any] | None = None, issued: str = "2023-03-05") -> LicenceRow:
    return LicenceRow(str(make_licence_identifier(TYPE, ISSUER, serial)), TYPE, ISSUER, status, {
        "licence_number": number or f"NO-{serial}", "issue_date": issued,
        "valid_until": until, "face": {"operator_name": "甲"} if face is None else face,
        "holders": [{"name": name, "code": code, "code_type": "001"}]})


def checks(*rows: LicenceRow) -> list[tuple[str, str]]:
    return sorted((p.check, p.subject) for p in check_licences(rows, {TYPE: ENTRY},
                                                                 "2026-12-07"))


def test_a_clean_licence_has_no_finding() -> None:
    assert checks(row("A1")) == []


def test_each_problem_is_found() -> None:
    missing, expired = row("A1", face={}), row("A2", until="2024-01-01", code=make_uscc(
        "91320581", "MA2YL3D4"))
    bad = row("A3", code=HOLDER[:17] + ("0" if HOLDER[17] != "0" else "1"))
    assert checks(missing) == [("missing_field", missing.identifier)]
    assert checks(expired) == [("expired_still_valid", expired.identifier)]
    assert checks(bad) == [("code_invalid", bad.identifier)]


def test_withdrawn_and_expired_licences_are_not_checked() -> None:
    assert checks(row("A1", face={}, status="04"), row("A2", until="2024-01-01",
                                                      status="05")) == []


def test_names_and_duplicates_across_licences() -> None:
    a, b = row("A1", number="食经（2023） 1"), row("A2", number="食经(2023)1", name="甲 有限公司")
    found = checks(a, b)
    assert ("holder_name_differs", HOLDER) in found
    assert [c for c, _ in found].count("suspicious_duplicate") == 2  # number, and same dates
    assert checks(row("A1"), row("A2", issued="2024-01-01")) == []


def test_paper_counts() -> None:
    rows = [PaperRow(ISSUER, TYPE, "2023-03", 4, 5), PaperRow(ISSUER, TYPE, "2023-04", 2, 2)]
    found = list(check_paper(rows))
    assert [(p.check, p.subject) for p in found] == [("paper_count_differs", f"{TYPE}|2023-03")]
