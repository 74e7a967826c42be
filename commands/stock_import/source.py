"""Rows of a stock file (``.xlsx`` or ``.csv``), numbered as the spreadsheet shows them.

Workbooks are read with python-calamine (fast, read-only), which holds the sheet in
memory: a sheet whose XML unpacks to more than :data:`STREAM_ABOVE` bytes is streamed
instead (:mod:`commands.stock_import.xlsx_stream`, same values), so memory stays bounded
whatever the file's size. A merged cell's value is carried over its whole range, since
both readers give it only to the top-left cell. CSV
files may be UTF-8 (with or without BOM) or GB18030 (what Excel writes on Chinese
Windows): the first that decodes the whole file is used.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commands.stock_import.xlsx_stream import Workbook, sheet_size
from ledger.errors import ConfigurationError
from ledger.stock.columns import HEADER_SCAN_ROWS
from ledger.stock.values import cell_text

ENCODINGS = ("utf-8-sig", "gb18030")
_CHUNK = 1 << 20
STREAM_ABOVE = 48 << 20  # sheet XML bytes (about 80,000 rows of 8 columns)


@dataclass
class Source:
    """A readable stock file: its content hash and encoding (CSV; None for a workbook)."""

    path: Path
    sha256: str
    encoding: str | None
    stream: bool = False  # a large workbook, read as a stream (not held in memory)
    lines: int | None = None  # CSV: line breaks (records, but for breaks inside cells)
    _sheet: Any = None  # the workbook's first sheet, parsed once for header and rows

    def top(self) -> list[list[str]]:
        """The first rows as text, merged cells filled in (to find the header)."""
        return [[cell_text(v) for v in cells] for _, cells in self._rows(HEADER_SCAN_ROWS)]

    def rows_after(self, after: int) -> int | None:
        """About how many rows follow row ``after`` (for the progress bar), if known."""
        if self.lines is not None:
            return max(0, self.lines - after)
        if self._sheet is None or self.stream:
            return None
        return max(0, int((self._sheet.start or (0, 0))[0] + self._sheet.height) - after)

    def rows(self, after: int) -> Iterator[tuple[int, list[object]]]:
        """``(row number, cells)`` for each non-empty row after row ``after``."""
        for number, cells in self._rows(None):
            if number > after and any(cell_text(v) for v in cells):
                yield number, cells

    def _rows(self, limit: int | None) -> Iterator[tuple[int, list[object]]]:
        if self.encoding is None and self.stream:
            if self._sheet is None:
                self._sheet = Workbook(self.path)
            yield from _fill_merged(self._sheet.rows(), self._sheet.merged, limit)
        elif self.encoding is None:
            if self._sheet is None:
                from python_calamine import CalamineWorkbook

                self._sheet = CalamineWorkbook.from_path(str(self.path)).get_sheet_by_index(0)
            yield from _xlsx_rows(self._sheet, limit)
        else:
            yield from _csv_rows(self.path, self.encoding, limit)


def open_source(path: Path) -> Source:
    """Check the file can be read; raise a clear error naming what is wrong."""
    suffix = path.suffix.lower()
    if suffix in (".xls", ".et", ".ods", ".xlsm", ".xlsb"):
        raise ConfigurationError(f"{path}: a {suffix} workbook is not read; open it in Excel"
                                 " (or WPS) and save it as .xlsx or CSV UTF-8")
    if suffix not in (".xlsx", ".csv"):
        raise ConfigurationError(f"{path}: expected a .xlsx workbook or a .csv file")
    digest, text_ok = hashlib.sha256(), {e: codecs.getincrementaldecoder(e)() for e in ENCODINGS}
    lines, last = 0, b"\n"
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                lines, last = lines + chunk.count(b"\n"), chunk[-1:]
                for name, decoder in list(text_ok.items()):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        del text_ok[name]
        for name, decoder in list(text_ok.items()):
            try:
                decoder.decode(b"", final=True)  # a character cut off at the very end
            except UnicodeDecodeError:
                del text_ok[name]
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    if digest.hexdigest() == hashlib.sha256(b"").hexdigest():
        raise ConfigurationError(f"{path}: the file is empty")
    if suffix == ".xlsx":
        stream, sheet = _check_workbook(path)
        return Source(path, digest.hexdigest(), None, stream, _sheet=sheet)
    if not text_ok:
        raise ConfigurationError(f"{path}: not UTF-8 and not GB18030 text; save the CSV as"
                                 " UTF-8 (Excel: CSV UTF-8) and try again")
    return Source(path, digest.hexdigest(), next(iter(text_ok)),
                  lines=lines + (last != b"\n"))


def _check_workbook(path: Path) -> tuple[bool, Any]:
    """Refuse a workbook that cannot be read or unpacks to too much. Whether to stream it
    and, if not, its first sheet, parsed whole here so that damaged XML is found now."""
    from python_calamine import CalamineWorkbook

    try:
        size = sheet_size(path)  # sizes checked before anything is unpacked
        if size > STREAM_ABOVE:
            return True, None
        book = CalamineWorkbook.from_path(str(path))
        if not book.sheet_names:
            raise ConfigurationError(f"{path}: the workbook has no sheets")
        return False, book.get_sheet_by_index(0)
    except ConfigurationError:
        raise
    except Exception as exc:  # calamine raises its own types for damaged zips and XML
        raise ConfigurationError(f"{path}: not a readable .xlsx workbook ({exc})") from None


def _xlsx_rows(sheet: Any, limit: int | None) -> Iterator[tuple[int, list[object]]]:
    first_row, first_col = sheet.start or (0, 0)
    merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ()]
    rows = ((first_row + i, [""] * first_col + list(cells))
            for i, cells in enumerate(sheet.iter_rows()))
    yield from _fill_merged(rows, merged, limit)


def _fill_merged(rows: Iterator[tuple[int, list[object]]],
                 merged: list[tuple[int, int, int, int]],
                 limit: int | None) -> Iterator[tuple[int, list[object]]]:
    """``(row number, cells)`` (1-based), each merged range filled with its first value."""
    # Merged ranges are few (headers, titles): keep them as (row, col) → value to copy.
    carry: dict[tuple[int, int], object] = {}
    for row, values in rows:
        if limit is not None and row >= limit:
            return
        for r0, c0, r1, c1 in merged:
            if r0 <= row <= r1:
                if row == r0:
                    carry[(r0, c0)] = values[c0] if c0 < len(values) else ""
                values += [""] * (c1 + 1 - len(values))
                for c in range(c0, c1 + 1):
                    values[c] = carry[(r0, c0)]
        yield row + 1, values


def _csv_rows(path: Path, encoding: str, limit: int | None) -> Iterator[tuple[int, list[object]]]:
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a cell over csv's field limit (131,072 characters)
                raise ConfigurationError(
                    f"{path}: record {number + 1} (line {reader.line_num}) cannot be read"
                    f" ({exc}): a licence register's cells are short; is this the right"
                    " file?") from None
            number += 1
            if limit is not None and number > limit:
                return
            yield number, list[object](cells)

