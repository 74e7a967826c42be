"""Reconciliation periods and paper registers (ledger/reconciliation/reconcile.py)."""

from __future__ import annotations

import pytest

from ledger.domain.identifiers import make_uscc
from ledger.reconciliation.reconcile import Period, PeriodError, period_of
from ledger.reconciliation.report import (
    PaperCountError,
    parse_paper_csv,
)

DEPT = make_uscc("11320581", "MB000001")


TYPE = DEPT + "001"


HEADER = "department,licence_type,period,issued,changed,withdrawn,in_force\n"


def test_months_are_counted_in_china_standard_time() -> None:
    march = Period.parse("2026-03")
    assert (march.start, march.end, march.last_day) == (
        "2026-02-28T16:00:00.000000Z", "2026-03-31T16:00:00.000000Z", "2026-03-31")
    assert march.contains("2026-02-28T16:00:00.000000Z")
    assert not march.contains("2026-02-28T15:59:59.999999Z")
    assert not march.contains("2026-03-31T16:00:00.000000Z")
    assert period_of("2026-03-31T16:30:00.000000Z") == "2026-04"  # 00:30 on 1 April in Beijing
    december = Period.parse("2025-12")
    assert (december.end, december.last_day) == ("2025-12-31T16:00:00.000000Z", "2025-12-31")
    assert Period.parse("2024-02").last_day == "2024-02-29"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-3", "26-03", "2026/03", "", "x"])
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(PeriodError, match="YYYY-MM"):
        Period.parse(text)


def test_paper_csv_in_any_column_order_with_a_bom() -> None:
    text = ("\ufeffperiod,department,licence_type,in_force,withdrawn,changed,issued\n"
            f"2026-03,{DEPT},{TYPE},9,1,2,3\n")
    [row] = parse_paper_csv(text, "paper.csv")
    assert (row.department, row.licence_type, row.period.text) == (DEPT, TYPE, "2026-03")
    assert row.counts == {"issued": 3, "changed": 2, "withdrawn": 1, "in_force": 9}


@pytest.mark.parametrize("body, reason", [
    ("", "no rows"),
    (f"{DEPT},{TYPE},2026-03,1,0,0\n", "expected 7 fields"),
    (f"{DEPT},{TYPE},2026-03,1,0,0,1,9\n", "expected 7 fields"),
    (f"BADCODE,{TYPE},2026-03,1,0,0,1\n", "line 2, column department"),
    (f"{DEPT[:-1]}0,{TYPE},2026-03,1,0,0,1\n", "column department"),
    (f"{DEPT},{TYPE[:-1]},2026-03,1,0,0,1\n", "column licence_type"),
    (f"{DEPT},{TYPE},2026-3,1,0,0,1\n", "column period"),
    (f"{DEPT},{TYPE},2026-03,-1,0,0,1\n", "column issued"),
    (f"{DEPT},{TYPE},2026-03,1,1.5,0,1\n", "column changed"),
    (f"{DEPT},{TYPE},2026-03,1,0,,1\n", "column withdrawn"),
    (f"{DEPT},{TYPE},2026-03,1,0,0,x\n", "column in_force"),
    (f"{DEPT},{TYPE},2026-03,1,0,0,1\n{DEPT},{TYPE},2026-03,1,0,0,1\n", "line 3: a second row"),
])
def test_bad_paper_rows_are_refused_naming_line_and_column(body: str, reason: str) -> None:
    with pytest.raises(PaperCountError, match=reason):
        parse_paper_csv(HEADER + body, "paper.csv")


@pytest.mark.parametrize("header", [
    "department,licence_type,period,issued,changed,withdrawn\n",
    "department,licence_type,period,issued,changed,withdrawn,in_force,notes\n",
    "dept,licence_type,period,issued,changed,withdrawn,in_force\n",
])
def test_a_wrong_header_is_refused(header: str) -> None:
    with pytest.raises(PaperCountError, match="header"):
        parse_paper_csv(header + f"{DEPT},{TYPE},2026-03,1,0,0,1\n", "paper.csv")
