"""Reconciliation inputs and outputs that need no database: months, paper CSV, signatures."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from ledger.domain.identifiers import make_uscc
from ledger.integrity.signing import SigningKey
from ledger.reconciliation.reconcile import Period, PeriodError, period_of
from ledger.reconciliation.report import (
    PaperCountError,
    ReportError,
    build_report,
    parse_paper_csv,
    sign_report,
    verify_report,
)
from ledger.transparency.checkpoint import log_origin, sign_checkpoint

KEY = SigningKey("ed25519", hashlib.sha256(b"reconcile-test").digest())
KEYS = {KEY.key_id: ("ed25519", KEY.public_key)}
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


def _report() -> dict[str, Any]:
    cp = sign_checkpoint(log_origin(KEY.key_id), 5, hashlib.sha256(b"r").digest(),
                         "2026-04-01T00:00:00.000000Z", KEY)
    row = {"department": DEPT, "licence_type": TYPE, "period": "2026-03",
           "paper": {"issued": 1, "changed": 0, "withdrawn": 0, "in_force": 1},
           "ledger": {"issued": 1, "changed": 0, "withdrawn": 0, "in_force": 1, "voided": 0},
           "matches": True, "mismatches": [], "licences": {}}
    return sign_report(build_report([row], cp, "2026-04-01T00:00:00.000000Z", "paper.csv"),
                       KEY)


def test_a_signed_report_verifies_and_names_its_checkpoint() -> None:
    report = _report()
    verify_report(report, KEYS)
    assert report["ok"] is True and report["mismatches"] == 0
    assert report["checkpoint"]["size"] == 5 and report["signature"]["key_id"] == KEY.key_id


@pytest.mark.parametrize("path, value", [
    (("ok",), False), (("rows", 0, "ledger", "issued"), 2), (("checkpoint", "size"), 6),
    (("computed_at",), "2026-04-02T00:00:00.000000Z"), (("signature", "value"), "AAAA"),
    (("signature", "key_id"), "ed25519:000000000000000000000000"),
    (("signature", "algorithm"), "sm2"), (("format",), "other/1"),
])
def test_any_change_to_a_signed_report_is_caught(path: tuple[Any, ...], value: Any) -> None:
    report = copy.deepcopy(_report())
    target: Any = report
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(ReportError):
        verify_report(report, KEYS)


def test_an_unsigned_report_is_refused() -> None:
    report = _report()
    del report["signature"]
    with pytest.raises(ReportError, match="not a signed"):
        verify_report(report, KEYS)
