"""The streaming workbook reader gives what python-calamine gives, in flat memory, and
refuses hostile workbooks with one clear error (commands/stock_import/xlsx_stream.py)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from commands.stock_import import source, xlsx_stream
from commands.stock_import.source import open_source
from commands.stock_import.xlsx_stream import Workbook
from ledger.errors import ConfigurationError
from tests.e2e.import_books import write_doctor_book, write_food_book

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def excel_book(path: Path, sheet_rows: str, merged: str = "", strings: str = "") -> Path:
    """A workbook as Excel writes it: shared strings (UTF-8, rich text, phonetic guides),
    cell formats with dates, a sheet part not named sheet1."""
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="xml" ContentType="application/xml"/><Default '
        'Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+'
        'xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxml'
        'formats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
        'worksheets/data.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/'
        'workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {NS} xmlns:r="{RELS}"><sheets><sheet name="台账" '
        'sheetId="1" r:id="rId7"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org'
        f'/package/2006/relationships"><Relationship Id="rId7" Type="{RELS}/worksheet" '
        f'Target="worksheets/data.xml"/><Relationship Id="rId8" Type="{RELS}/styles" '
        f'Target="styles.xml"/><Relationship Id="rId9" Type="{RELS}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/styles.xml": f'<styleSheet {NS}><numFmts count="1"><numFmt numFmtId="176" '
        'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts><cellXfs '
        'count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/><xf numFmtId="49"/>'
        '</cellXfs></styleSheet>',
        "xl/sharedStrings.xml": f"<sst {NS}>{strings}</sst>",
        "xl/worksheets/data.xml": f"<worksheet {NS}><dimension ref=\"A1:F4\"/><sheetData>"
        f"{sheet_rows}</sheetData>{merged}</worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text.encode())
    return path


STRINGS = ("<si><t>证照编号</t></si><si><r><t>持证</t></r><r><rPr><b/></rPr><t>主体</t></r>"
           "</si><si><t>甲</t><rPh sb=\"0\" eb=\"1\"><t>コウ</t></rPh></si>"
           "<si><t xml:space=\"preserve\"> 食经(2021)0001 </t></si>"
           "<si><t>A&amp;B &lt;有限&gt;</t></si>")
ROWS = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="3" spans="1:6"><c r="A3" t="s"><v>3</v></c><c r="B3" t="s"><v>2</v></c>'
        '<c r="C3" s="1"><v>43529</v></c><c r="D3" s="2"><v>43529.5</v></c>'
        '<c r="E3"><v>44260</v></c><c r="F3" t="b"><v>1</v></c></row>'
        '<row r="4"><c r="B4" t="str"><f>A1&amp;"x"</f><v>证照编号x</v></c><c r="C4" t="e">'
        '<v>#N/A</v></c><c r="D4" t="inlineStr"><is><t>行内</t></is></c><c r="E4" s="3">'
        '<v>320581198001021003</v></c><c r="F4" t="s"><v>4</v></c><c r="G4" s="1"/></row>')


def calamine(path: Path) -> dict[int, list[Any]]:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    r0, c0 = sheet.start or (0, 0)
    return {r0 + i: trimmed([""] * c0 + list(row)) for i, row in enumerate(sheet.iter_rows())
            if any(v != "" for v in row)}


def streamed(path: Path) -> dict[int, list[Any]]:
    return {i: trimmed(row) for i, row in Workbook(path).rows() if row}


def trimmed(row: list[Any]) -> list[Any]:
    row = [v.date() if isinstance(v, dt.datetime) and v.time() == dt.time() else v
           for v in row]
    while row and row[-1] == "":
        row.pop()
    return row


@pytest.mark.parametrize("make", [
    lambda p: write_food_book(p / "food.xlsx"),
    lambda p: write_doctor_book(p / "doctor.xlsx"),
    lambda p: excel_book(p / "excel.xlsx", ROWS, '<mergeCells count="1"><mergeCell ref="A1:B1"'
                         '/></mergeCells>', STRINGS),
])
def test_the_stream_reads_what_calamine_reads(tmp_path: Path, make: Any) -> None:
    path = make(tmp_path)
    assert streamed(path) == calamine(path)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert Workbook(path).merged == [(r0, c0, r1, c1) for (r0, c0), (r1, c1)
                                     in sheet.merged_cell_ranges or ()]


def test_a_large_workbook_is_streamed_with_the_same_rows(tmp_path: Path,
                                                         monkeypatch: Any) -> None:
    path = write_food_book(tmp_path / "food.xlsx")
    held = open_source(path)
    monkeypatch.setattr(source, "STREAM_ABOVE", 0)
    streaming = open_source(path)
    assert streaming.stream and not held.stream
    assert [trimmed(r) for r in streaming.top()] == [trimmed(r) for r in held.top()]
    assert [(n, trimmed(r)) for n, r in streaming.rows(3)] == [
        (n, trimmed(r)) for n, r in held.rows(3)]
    assert streaming.rows_after(3) is None


def test_rows_listed_out_of_order_are_refused(tmp_path: Path) -> None:
    path = excel_book(tmp_path / "loop.xlsx", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
                      * 3, strings=STRINGS)
    with pytest.raises(ConfigurationError, match="row 1 is listed after row 1"):
        list(Workbook(path).rows())


def test_a_part_that_unpacks_to_too_much_is_refused_before_reading(
        tmp_path: Path, monkeypatch: Any) -> None:
    path = excel_book(tmp_path / "bomb.xlsx", ROWS, strings=STRINGS)
    monkeypatch.setattr(xlsx_stream, "MAX_PART", 100)
    with pytest.raises(ConfigurationError, match=r"unpacks to .* bytes .*save it as CSV"):
        open_source(path)
