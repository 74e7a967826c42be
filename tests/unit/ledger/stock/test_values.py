"""Cell values from legacy files: what is repaired (and said), what is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.domain.identifiers import make_citizen_id, make_uscc
from ledger.stock.rows import serial_for
from ledger.stock.values import (
    ValueProblem,
    cell_text,
    check_damaged_number,
    comparison_key,
    holder_code,
    parse_date,
)


@pytest.mark.parametrize(("raw", "iso", "rule"), [
    ("2019-03-05", "2019-03-05", None),
    (dt.date(2019, 3, 5), "2019-03-05", None),
    (dt.datetime(2019, 3, 5, 0, 0), "2019-03-05", None),
    ("2019.3.5", "2019-03-05", "date '2019.3.5' read as 2019-03-05 (year, month, day)"),
    ("2019/3/5", "2019-03-05", "date '2019/3/5' read as 2019-03-05 (year, month, day)"),
    ("2019-3-5", "2019-03-05", "date '2019-3-5' read as 2019-03-05 (year, month, day)"),
    ("2019年3月5日", "2019-03-05", "date '2019年3月5日' read as 2019-03-05 (year, month, day)"),
    ("2019年03月05", "2019-03-05", "date '2019年03月05' read as 2019-03-05 (year, month, day)"),
    ("20190305", "2019-03-05", "date '20190305' read as 2019-03-05 (year, month, day)"),
    ("２０１９．３．５", "2019-03-05", "date '2019.3.5' read as 2019-03-05 (year, month, day)"),
    (43529, "2019-03-05", "Excel day number 43529 read as 2019-03-05"),
    (43529.0, "2019-03-05", "Excel day number 43529 read as 2019-03-05"),
    ("43529", "2019-03-05", "Excel day number 43529 read as 2019-03-05"),
    (10000, "1927-05-18", "Excel day number 10000 read as 1927-05-18"),
])
def test_dates_accepted_and_the_rule_said(raw: object, iso: str, rule: str | None) -> None:
    assert parse_date(raw) == (iso, rule)


@pytest.mark.parametrize("raw", [
    "2019-02-30", "2019.13.1", "2019年2月30日", "5/3/2019", "03-05-2019", "next monday", "",
    43529.5, 0, -1, 61, 9999, 100000, "0061", "2019-3", "１９", True,
])
def test_dates_refused(raw: object) -> None:
    with pytest.raises(ValueProblem) as info:
        parse_date(raw)
    assert info.value.code == "bad_date"


@pytest.mark.parametrize("text", ["3.20581E+17", "9.13205e17", "-1.5E-3", " 3.2E+17 "])
def test_scientific_notation_is_damage(text: str) -> None:
    with pytest.raises(ValueProblem) as info:
        check_damaged_number(text)
    assert info.value.code == "damaged_number"


@pytest.mark.parametrize("text", ["320581", "E17", "3.2", "ABC1E5", "食经E+17"])
def test_other_text_is_not_scientific(text: str) -> None:
    check_damaged_number(text)


def test_cell_text_of_numbers_and_dates() -> None:
    assert cell_text(12345.0) == "12345"
    assert cell_text(3.20581e17) == "3.20581e+17"  # too large to be whole-number text
    assert cell_text(dt.date(2020, 1, 2)) == "2020-01-02"
    assert cell_text(None) == "" and cell_text("  a b ") == "a b"


def test_comparison_key_folds_width_spaces_and_case() -> None:
    assert comparison_key("食经（2023） 0001") == comparison_key("食经(2023)0001")
    assert comparison_key("ab\u3000c") == "ABC"
    assert comparison_key("食经(2023)0001") != comparison_key("食经(2023)0002")
    assert serial_for("食经（2023） 0001") == serial_for("食经(2023)0001")
    assert len(serial_for("x")) == 24 and serial_for("x").isalnum()


def test_full_width_uscc_is_read_with_a_note() -> None:
    code = make_uscc("91320581", "MA1XK2C3")
    wide = code.translate({ord(c): ord(c) + 0xFEE0 for c in set(code)})
    assert holder_code("001", wide)[0] == code
    assert len(holder_code("001", wide)[1]) == 1
    assert holder_code("001", code) == (code, [])


def test_citizen_id_that_lost_its_x() -> None:
    cid = next(c for s in range(1000)
               if (c := make_citizen_id("320581", "19800101", f"{s:03d}")).endswith("X"))
    with pytest.raises(ValueProblem) as info:
        holder_code("111", cid[:17])
    assert info.value.code == "citizen_id_lost_x" and cid in info.value.message
    assert holder_code("111", cid[:-1] + "x") == (cid, [f"lower-case x in {cid[:-1] + 'x'!r}"
                                                       " read as X"])


@pytest.mark.parametrize(("code_type", "raw", "code"), [
    ("111", "32058119800101001", "bad_code"),  # 17 digits whose check is not X
    ("111", "3.20581E+17", "damaged_number"),
    ("001", "91320581MA1XK2C3", "bad_code"),
    ("001", "91320581MA1XK2C34I", "bad_code"),
    ("777", "anything", "bad_code"),
])
def test_holder_codes_refused(code_type: str, raw: str, code: str) -> None:
    with pytest.raises(ValueProblem) as info:
        holder_code(code_type, raw)
    assert info.value.code == code
