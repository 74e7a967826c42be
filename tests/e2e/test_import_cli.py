"""``ledger import`` as the issuing department runs it: a real workbook with every classic
defect checked finding by finding, the same rows as GB18030 CSV, the exact ``--json``
shape, reconciliation after import, and idempotence."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ledger.domain.localtime import beijing_period
from tests.e2e.import_books import (
    EXPECTED,
    MAPPING,
    USCC_A,
    food_rows,
    ledger,
    make_ledger,
    write_doctor_book,
    write_food_book,
    write_food_csv,
)


@pytest.fixture
def city(tmp_path: Path) -> dict[str, Any]:
    info = make_ledger(tmp_path)
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")
    return {**info, "folder": tmp_path}


def run_import(city: dict[str, Any], path: Path, *extra: str,
               kind: str = "food") -> tuple[int, Any, str]:
    issuer = city["market"] if kind == "food" else city["health"]
    mapping = ("--mapping", str(city["folder"] / "map.toml")) if kind == "food" else ()
    result = ledger(city["folder"], "import", str(path), "--type", city[kind], "--issuer",
                    issuer, "--keys", str(city["keys"]), *mapping, "--json", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def found(report: dict[str, Any], shift: int = 0) -> dict[int, list[tuple[str, str, str]]]:
    out: dict[int, list[tuple[str, str, str]]] = {}
    for f in report["findings"]:
        out.setdefault(f["row"] + shift, []).append((f["column"], f["severity"], f["code"]))
    return {row: sorted(items) for row, items in out.items()}


def test_every_defect_of_the_workbook_is_found_on_its_row(city: dict[str, Any]) -> None:
    book = write_food_book(city["folder"] / "food.xlsx")
    code, report, _ = run_import(city, book, "--dry-run")
    assert code == 1  # invalid rows were found
    assert set(report) == {"rows", "valid", "invalid", "findings"}
    assert (report["rows"], report["valid"], report["invalid"]) == (11, 5, 6)
    for finding in report["findings"]:
        assert set(finding) == {"row", "column", "severity", "code", "message"}
        assert isinstance(finding["row"], int) and finding["message"]
        assert finding["severity"] in ("error", "warning")
    assert found(report) == {row: sorted(items) for row, items in EXPECTED.items()}


def test_messages_say_what_was_read_and_what_is_expected(city: dict[str, Any]) -> None:
    _, report, _ = run_import(city, write_food_book(city["folder"] / "food.xlsx"), "--dry-run")
    by_row = {(f["row"], f["code"]): f["message"] for f in report["findings"]}
    assert "44990 read as 2023-03-05" in by_row[(5, "date_normalised")]
    assert "'2023.3.5' read as 2023-03-05" in by_row[(6, "date_normalised")]
    assert "91320581MA3YM4E54P" in by_row[(7, "code_normalised")]
    assert "scientific notation" in by_row[(8, "damaged_number")]
    assert "row 4" in by_row[(9, "duplicate_in_file")]
    assert "position 18" in by_row[(11, "bad_code")]


def test_the_same_rows_as_gb18030_csv_give_the_same_findings(city: dict[str, Any]) -> None:
    text = write_food_csv(city["folder"] / "food.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        text.decode("utf-8")  # really GB18030, not UTF-8 in disguise
    _, report, _ = run_import(city, city["folder"] / "food.csv", "--dry-run")
    # One header row instead of a title and two header rows: rows are two lower.
    assert found(report, shift=2) == {row: sorted(items) for row, items in EXPECTED.items()}
    assert (report["rows"], report["valid"], report["invalid"]) == (11, 5, 6)


def test_utf8_csv_with_bom_reads_too(city: dict[str, Any]) -> None:
    path = write_food_csv(city["folder"] / "food-utf8.csv", encoding="utf-8-sig")
    _, report, _ = run_import(city, path, "--dry-run")
    assert found(report, shift=2) == {row: sorted(items) for row, items in EXPECTED.items()}


def test_the_face_labels_name_their_columns_without_a_mapping(city: dict[str, Any]) -> None:
    # 经营者名称 and 经营场所 are what the licence face prints for operator_name and premises.
    book = write_food_book(city["folder"] / "food.xlsx")
    result = ledger(city["folder"], "import", str(book), "--type", city["food"], "--issuer",
                    city["market"], "--keys", str(city["keys"]), "--dry-run", "--json")
    report = json.loads(result.stdout)
    assert found(report) == {row: sorted(items) for row, items in EXPECTED.items()}


def test_citizen_ids_lost_x_damaged_and_lower_case(city: dict[str, Any]) -> None:
    code, report, _ = run_import(city, write_doctor_book(city["folder"] / "doctor.xlsx"),
                                 "--dry-run", kind="doctor")
    assert code == 1
    assert found(report) == {
        3: [("身份证号", "error", "citizen_id_lost_x")],
        4: [("身份证号", "warning", "code_normalised")],
        5: [("身份证号", "error", "damaged_number")],
        6: sorted([("practice_category", "error", "bad_value"), ("身份证号", "error", "bad_code")]),
    }
    lost = next(f for f in report["findings"] if f["code"] == "citizen_id_lost_x")
    assert "X" in lost["message"] and "17 digits" in lost["message"]


def test_dry_run_issues_nothing_and_import_issues_the_valid_rows(city: dict[str, Any]) -> None:
    book = write_food_book(city["folder"] / "food.xlsx")
    run_import(city, book, "--dry-run")
    assert licences(city["folder"]) == []
    code, report, _ = run_import(city, book)
    assert code == 1 and report["valid"] == 5
    rows = licences(city["folder"])
    assert [r[0] for r in rows] == ["食经(2023)0001", "食经(2023)0002", "食经(2023)0003",
                                    "食经(2023)0004", "食经(2023)0009"]
    assert {r[1] for r in rows} == {"2023-03-05"}  # the original issue date, normalised
    first = json.loads(rows[0][2])
    assert first["paper_number"] == "ZP0001" and first["matter_code"] == "STOCK-CONVERSION"
    assert first["holders"][0]["code"] and first["area_code"] == "320581"


def test_import_twice_changes_nothing(city: dict[str, Any]) -> None:
    book = write_food_book(city["folder"] / "food.xlsx")
    _, first, _ = run_import(city, book)
    events = event_count(city["folder"])
    _, second, stderr = run_import(city, book)
    assert second == first
    assert event_count(city["folder"]) == events
    assert "skipped" in stderr


def test_reconcile_after_import_matches_the_paper_counts(city: dict[str, Any]) -> None:
    _, report, _ = run_import(city, write_food_book(city["folder"] / "food.xlsx"))
    assert report["valid"] == 5
    period = beijing_period(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    paper = city["folder"] / "paper.csv"
    # The department's register for the month of conversion: no new paper licence (the
    # five were issued on paper years ago), and the five converted ones in force at its end.
    paper.write_text("department,licence_type,period,issued,changed,withdrawn,in_force\n"
                     f"{city['market']},{city['food']},{period},0,0,0,5\n", encoding="utf-8")
    result = ledger(city["folder"], "reconcile", "--paper", str(paper), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout)["rows"][0]["ledger"]
    assert (figures["issued"], figures["in_force"]) == (0, 5)
    for wrong_counts in (",5,0,0,5", ",0,0,0,6"):  # conversions counted as new issues
        wrong = city["folder"] / "wrong.csv"
        wrong.write_text(paper.read_text(encoding="utf-8").replace(",0,0,0,5", wrong_counts),
                         encoding="utf-8")
        assert ledger(city["folder"], "reconcile", "--paper", str(wrong)).returncode == 1


def test_report_file_lists_every_finding(city: dict[str, Any]) -> None:
    book = write_food_book(city["folder"] / "food.xlsx")
    out = city["folder"] / "findings.xlsx"
    _, report, _ = run_import(city, book, "--dry-run", "--report", str(out))
    sheet = load_workbook(out, read_only=True)["findings"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "行 row"
    assert [list(r) for r in rows[1:]] == [[f[k] for k in ("row", "column", "severity", "code",
                                                           "message")]
                                           for f in report["findings"]]
    csv_out = city["folder"] / "findings.csv"
    run_import(city, book, "--dry-run", "--report", str(csv_out))
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    assert len(csv_out.read_text(encoding="utf-8-sig").splitlines()) == len(rows)


@pytest.mark.parametrize(("args", "expected"), [
    (("--type", "11320581AY4CL12T22999"), "no such licence type"),
    (("--issuer", "91320581MA1XK2C34D"), "not among the issuers"),
    (("--issuer", "garbage"), "--issuer 'garbage'"),
    (("--report", "out.txt"), "expected a file name ending .xlsx or .csv"),
    (("--keys", "nowhere"), "cannot read key file"),
])
def test_bad_usage_is_refused_clearly(city: dict[str, Any], args: tuple[str, ...],
                                      expected: str) -> None:
    book = write_food_book(city["folder"] / "food.xlsx")
    base = {"--type": city["food"], "--issuer": city["market"], "--keys": str(city["keys"])}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for pair in base.items() for x in pair]
    result = ledger(city["folder"], "import", str(book), *flat, "--mapping",
                    str(city["folder"] / "map.toml"))
    assert result.returncode == 2 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_wrong_type_lists_the_catalogue_types_to_choose_from(city: dict[str, Any]) -> None:
    book = write_food_book(city["folder"] / "food.xlsx")
    result = ledger(city["folder"], "import", str(book), "--type", "11320581AY4CL12T22999",
                    "--issuer", city["market"], "--keys", str(city["keys"]), "--dry-run")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"{city['food']} " in result.stderr and city["market"] in result.stderr


def test_a_workbook_with_damaged_xml_is_refused_clearly(city: dict[str, Any]) -> None:
    good = zipfile.ZipFile(write_food_book(city["folder"] / "good.xlsx"))
    path = city["folder"] / "damaged.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        for name in good.namelist():
            body = good.read(name)
            book.writestr(name, body[: len(body) // 2] if "worksheets" in name else body)
    result = ledger(city["folder"], "import", str(path), "--type", city["food"], "--issuer",
                    city["market"], "--keys", str(city["keys"]), "--dry-run")
    assert result.returncode == 2, result.stderr
    assert "not a readable .xlsx workbook" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("stock.txt", b"x", "expected a .xlsx workbook or a .csv file"),
    ("stock.xls", b"\xd0\xcf\x11\xe0", "a .xls workbook is not read; open it in Excel"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a readable .xlsx workbook"),
    ("latin.csv", "证照编号".encode("utf-16"), "not UTF-8 and not GB18030"),
    ("cut.csv", "证照编号,持证主体名称\n".encode() + b"\xe7", "not UTF-8 and not GB18030"),
    ("empty.csv", b"", "the file is empty"),
    ("empty.xlsx", b"", "the file is empty"),
    ("header-only.csv", "证照编号,持证主体名称,持证主体代码,发证日期\n".encode(),
     "no licence rows below the header (row 1)"),
    ("nothing.csv", "甲,乙\n1,2\n".encode(), "no header row found"),
    ("huge-cell.csv", "证照编号,持证主体名称\nA1,".encode() + b"x" * 10_000_000 + b"\n",
     "record 2 (line 2) cannot be read"),
])
def test_unreadable_files_are_refused_clearly(city: dict[str, Any], name: str, content: bytes,
                                              expected: str) -> None:
    path = city["folder"] / name
    path.write_bytes(content)
    result = ledger(city["folder"], "import", str(path), "--type", city["food"], "--issuer",
                    city["market"], "--keys", str(city["keys"]), "--dry-run")
    assert result.returncode == 2 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("mapping", "expected"), [
    ('[columns]\n"经营场所" = "premisses"\n', "'premisses' is not a field"),
    ('[defaults]\nholder_name = 3\n', "must be text"),
    ('[colums]\n"a" = "premises"\n', "unknown table(s) colums"),
    ('[columns\n', "not a UTF-8 TOML file"),
])
def test_bad_mapping_is_refused_clearly(city: dict[str, Any], mapping: str,
                                        expected: str) -> None:
    path = city["folder"] / "bad.toml"
    path.write_text(mapping, encoding="utf-8")
    result = ledger(city["folder"], "import", str(write_food_book(city["folder"] / "f.xlsx")),
                    "--type", city["food"], "--issuer", city["market"], "--keys",
                    str(city["keys"]), "--mapping", str(path), "--dry-run")
    assert result.returncode == 2 and expected in result.stderr, result.stderr


def test_a_required_column_missing_is_one_header_finding(city: dict[str, Any]) -> None:
    path = city["folder"] / "short.csv"
    path.write_text("证照编号,持证主体名称,持证主体代码,发证日期,有效期至\n"
                    "A1,甲,91320581MA1XK2C34D,2023-03-05,2028-03-04\n", encoding="utf-8")
    code, report, _ = run_import(city, path, "--dry-run")
    assert code == 1
    assert ("operator_name", "error", "missing_column") in found(report)[1]
    assert ("premises", "error", "missing_column") in found(report)[1]
    assert found(report)[2] == sorted([("operator_name", "error", "missing_required"),
                                       ("premises", "error", "missing_required")])


def licences(folder: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(folder / ".ledger" / "ledger.db-read") as db:
        try:
            rows = db.execute("SELECT l.licence_number, l.issue_date, v.fields FROM licences l"
                              " JOIN licence_versions v ON v.identifier = l.identifier"
                              " ORDER BY l.licence_number").fetchall()
        except sqlite3.OperationalError:
            return []
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def event_count(folder: Path) -> int:
    with sqlite3.connect(folder / ".ledger" / "ledger.db") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        events = next(t for t in tables if t.endswith("events") and "snapshot" not in t)
        return int(db.execute(f"SELECT COUNT(*) FROM {events}").fetchone()[0])


def test_holder_named_otherwise_in_the_ledger_is_a_warning(city: dict[str, Any]) -> None:
    run_import(city, write_food_book(city["folder"] / "food.xlsx"))
    path = city["folder"] / "more.csv"
    path.write_text("证照编号,持证主体名称,持证主体代码,发证日期,有效期至,经营者名称,经营场所\n"
                    f"食经(2023)0100,常熟甲股份公司,{USCC_A},2023-03-05,2028-03-04,甲,一号\n",
                    encoding="utf-8")
    code, report, _ = run_import(city, path)
    assert code == 0 and report["valid"] == 1
    assert found(report) == {2: [("持证主体名称", "warning", "holder_name_differs")]}
    assert "'常熟甲公司' / '常熟甲有限公司' in the ledger" in report["findings"][0]["message"]


def test_a_corrected_file_issues_only_what_is_new(city: dict[str, Any]) -> None:
    run_import(city, write_food_book(city["folder"] / "food.xlsx"))
    rows = food_rows()
    rows[6][7] = "常熟市虞山街道6号"  # row 10: the missing premises filled in
    rows[0][7] = "常熟市虞山街道9号"  # row 4: the file now says another address
    code, report, stderr = run_import(city, write_food_book(city["folder"] / "fixed.xlsx",
                                                            rows))
    assert code == 1 and (report["valid"], report["invalid"]) == (6, 5)
    assert found(report)[4] == [("证照编号", "warning", "differs_from_ledger")]
    # Row 10 is valid now (its holder code is row 4's, under another name: a warning).
    assert found(report)[10] == [("持证主体名称", "warning", "holder_name_differs")]
    assert "premises" in next(f["message"] for f in report["findings"]
                              if f["code"] == "differs_from_ledger")
    assert len(licences(city["folder"])) == 6
    assert re.search(r"issued now[\s│]*1\b", stderr)
    assert re.search(r"issued before \(skipped\)[\s│]*5\b", stderr)
