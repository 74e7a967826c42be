"""One stock row checked against its catalogue entry and the rows before it
(ledger/stock/rows.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.identifiers import make_citizen_id, make_uscc
from ledger.stock.rows import STOCK_MATTER, Existing, Finding, RowChecker, serial_for

USCC = make_uscc("91320581", "MA1XY000")
OTHER_USCC = make_uscc("91320581", "MA1XY001")
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in USCC)  # looks the same on screen


def entry(**changes: Any) -> CatalogueEntry:
    definition: dict[str, Any] = {
        "name": "营业执照", "holder_category": "legal_entity", "multiple_per_holder": False,
        "validity": {"max_years": 30},
        "face_fields": [{"name": "capital", "type": "integer", "required": True},
                        {"name": "scope", "type": "string"}],
        **changes}
    return CatalogueEntry("T", 2, definition)


def checker(**kw: Any) -> RowChecker:
    return RowChecker(entry(**kw.pop("definition", {})), {"licence_number": "证照编号"}, {},
                      **kw)


def cells(**changes: object) -> dict[str, object]:
    return {"licence_number": "No.1", "holder_name": "某某公司", "holder_code": USCC,
            "issue_date": "2020-01-02", "valid_until": "2040-01-01", "capital": "100",
            **changes}


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


def test_a_good_row_becomes_an_issue_payload() -> None:
    payload, found = checker().check(2, cells(scope="批发"))
    assert found == []
    assert payload == {
        "type_code": "T", "serial": serial_for("No.1"), "licence_number": "No.1",
        "holders": [{"name": "某某公司", "code": USCC, "code_type": "001"}],
        "issue_date": "2020-01-02", "valid_from": "2020-01-02", "valid_until": "2040-01-01",
        "area_code": "", "face": {"capital": 100, "scope": "批发"},
        "matter_code": STOCK_MATTER, "case_number": "STOCK-No.1", "paper_number": None}


def test_every_required_field_is_named_when_missing() -> None:
    payload, found = checker().check(3, {"licence_number": "No.1"})
    assert payload is None
    missing = {f.column for f in found if f.code == "missing_required"}
    assert missing == {"holder_name", "holder_code", "issue_date", "valid_until", "capital"}
    assert all(f.row == 3 and f.severity == "error" for f in found)


def test_an_open_ended_type_does_not_need_an_end() -> None:
    payload, _ = checker(definition={"validity": {"open_ended": True}}).check(
        2, cells(valid_until=""))
    assert payload is not None and payload["valid_until"] is None


def test_repairs_are_warnings_and_the_row_is_kept() -> None:
    payload, found = checker().check(2, cells(issue_date=dt.date(2020, 1, 2),
                                              holder_code=FULL_WIDTH))
    assert payload is not None and payload["holders"][0]["code"] == USCC
    assert codes(found) == ["code_normalised"]
    assert all(f.severity == "warning" for f in found)


@pytest.mark.parametrize(("changes", "code"), [
    ({"capital": "many"}, "bad_value"),
    ({"holder_code": OTHER_USCC[:-1] + ("0" if OTHER_USCC[-1] != "0" else "1")}, "bad_code"),
    ({"holder_code": USCC.lower()}, "bad_code"),  # lower case is not repaired
    ({"valid_until": "2019-01-01"}, "bad_validity"),
    ({"valid_until": "2099-01-01"}, "bad_validity"),  # over the 30 years of the type
    ({"issue_date": "not a date"}, "bad_date"),
    ({"licence_number": "1.23E+15"}, "damaged_number"),
])
def test_a_bad_value_makes_the_row_invalid(changes: dict[str, object], code: str) -> None:
    payload, found = checker().check(2, cells(**changes))
    assert payload is None and code in codes(found), found


def test_a_number_twice_in_the_file_is_refused_on_the_second_row() -> None:
    rows = checker()
    assert rows.check(2, cells())[0] is not None
    payload, found = rows.check(5, cells(licence_number="Ｎｏ．１", holder_code=OTHER_USCC))
    assert payload is None and codes(found) == ["duplicate_in_file"]
    assert "already on row 2" in found[0].message and found[0].column == "证照编号"


def test_a_number_already_in_the_ledger_under_another_serial_is_refused() -> None:
    rows = checker(existing=lambda key: Existing("No 1", "S-ELSEWHERE"))
    payload, found = rows.check(2, cells())
    assert payload is None and codes(found) == ["duplicate_in_ledger"]
    same = checker(existing=lambda key: Existing("No.1", serial_for("No.1")))
    assert same.check(2, cells())[0] is not None  # the same licence again: resumable


def test_one_licence_per_holder_when_the_type_says_so() -> None:
    rows = checker()
    rows.check(2, cells())
    payload, found = rows.check(3, cells(licence_number="No.2"))
    assert payload is None and codes(found) == ["duplicate_holder"]
    many = checker(definition={"multiple_per_holder": True})
    many.check(2, cells())
    assert many.check(3, cells(licence_number="No.2"))[0] is not None


def test_a_holder_named_differently_is_a_warning() -> None:
    rows = checker(definition={"multiple_per_holder": True},
                   holder_names=lambda code: ("旧名称公司",))
    payload, found = rows.check(2, cells())
    assert payload is not None and codes(found) == ["holder_name_differs"]
    assert "in the ledger" in found[0].message
    payload, found = rows.check(3, cells(licence_number="No.2", holder_name="别的公司"))
    assert payload is not None and "on row 2" in found[0].message


def test_the_code_type_follows_the_column_the_category_or_the_shape() -> None:
    person = make_citizen_id("320581", "19900101", "123")
    payload, _ = checker(definition={"holder_category": "any"}).check(
        2, cells(holder_code=person))
    assert payload is not None and payload["holders"][0]["code_type"] == "111"
    payload, _ = checker(definition={"holder_category": "any"}).check(2, cells())
    assert payload is not None and payload["holders"][0]["code_type"] == "001"
    payload, _ = checker(definition={"holder_category": "any"}).check(
        2, cells(holder_code="E12345678", holder_code_type="414"))
    assert payload is not None and payload["holders"][0]["code_type"] == "414"


def test_paper_numbers_name_the_case_and_defaults_fill_empty_cells() -> None:
    rows = RowChecker(entry(), {}, {"area_code": "320581"})
    payload, _ = rows.check(2, cells(paper_number="P-9", area_code=""))
    assert payload is not None
    assert (payload["case_number"], payload["paper_number"]) == ("STOCK-P-9", "P-9")
    assert (payload["area_code"], payload["matter_code"]) == ("320581", STOCK_MATTER)


def test_a_serial_is_the_same_for_every_spelling_of_a_number() -> None:
    assert serial_for("No.1") == serial_for("Ｎｏ．１") == serial_for(" no.1 ")
    assert serial_for("No.1") != serial_for("No.2")
    assert serial_for("No.1").startswith("S") and len(serial_for("No.1")) == 24


def test_a_finding_is_json_for_the_report() -> None:
    assert Finding(2, "证照编号", "error", "x", "m").to_json() == {
        "row": 2, "column": "证照编号", "severity": "error", "code": "x", "message": "m"}


@pytest.mark.parametrize(("changes", "column", "code"), [
    ({"holder_name": "x" * 10_000_000}, "holder_name", "too_long"),
    ({"licence_number": "No." + "1" * 100}, "证照编号", "too_long"),
    ({"scope": "批" * 501}, "scope", "too_long"),
    ({"issue_date": "2" * 65}, "issue_date", "too_long"),
    ({"holder_name": "某\x00公司"}, "holder_name", "bad_value"),
    ({"scope": "批\x00发"}, "scope", "bad_value"),
    ({"licence_number": "No.\u200b1"}, "证照编号", "bad_value"),
])
def test_what_the_ledger_would_refuse_is_found_before_issuing(
        changes: dict[str, object], column: str, code: str) -> None:
    payload, found = checker().check(2, cells(**changes))
    assert payload is None
    assert [(f.column, f.severity, f.code) for f in found] == [(column, "error", code)]
    assert len(found[0].message) < 200  # a huge cell is quoted, never echoed whole


def test_the_stock_limits_are_the_commands_limits() -> None:
    from commands.messages import limits
    from ledger.stock import rows

    assert (rows.MAX_CODE, rows.MAX_NUMBER, rows.MAX_NAME, rows.MAX_FACE_TEXT) == (
        limits.MAX_CODE, limits.MAX_NUMBER, limits.MAX_NAME, limits.MAX_FACE_TEXT)


def test_a_licence_that_has_expired_is_issued_with_a_warning() -> None:
    checking = RowChecker(entry(), {}, {}, today="2030-06-01")
    payload, found = checking.check(2, cells(valid_until="2030-05-31"))
    assert payload is not None
    assert [(f.column, f.severity, f.code) for f in found] == [
        ("valid_until", "warning", "expired")]
    assert "2030-05-31" in found[0].message
    assert RowChecker(entry(), {}, {}, today="2030-06-01").check(
        2, cells(valid_until="2030-06-01"))[1] == []
