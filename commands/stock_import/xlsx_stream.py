"""The first sheet of an ``.xlsx`` workbook, row by row, in flat memory.

The sheet's XML is read from the zip as a stream, a chunk at a time, so memory does not
grow with the number of rows: only the shared strings (each distinct text once, as Excel
stores them), the date formats and the merged ranges are held. The small parts
(workbook, relationships, styles, shared strings) are read with expat. Values are what
python-calamine gives: text, ``float`` numbers, ``bool``, and ``datetime`` for a number
in a date format (Excel's day 0 is 1899-12-30) or a cell of type ``d``.

A first pass collects the merged ranges (Excel writes them after the rows). Declared
sizes are checked before anything is unpacked: a part that unpacks to more than
:data:`MAX_PART` is refused (zip bombs), and rows must come in order (a loop of rows
is refused).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from ledger.errors import ConfigurationError

MAX_PART = 2 << 30  # bytes a part may unpack to (Excel's own sheets stay far below)
MAX_STRINGS = 256 << 20  # the shared-strings table is held in memory
_CHUNK = 1 << 16
_EPOCH = dt.datetime(1899, 12, 30)
# Built-in number formats that show dates (ECMA-376 18.8.30, with the CJK locales' ids).
_DATE_IDS = frozenset((*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)))
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_REF = re.compile(r"([A-Z]+)([0-9]+)")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z$]+[0-9$]+)(?::([A-Z$]+[0-9$]+))?"')
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, expat.ExpatError, KeyError, ValueError,
           UnicodeDecodeError, OSError, EOFError, zlib.error, NotImplementedError)


def sheet_size(path: Path) -> int:
    """Bytes the first sheet's XML unpacks to (as the zip declares, which the reader then
    enforces); raise if any part unpacks to more than its limit (a zip bomb)."""
    with _opened(path) as book:
        return book.getinfo(_first_sheet(book, path)).file_size


class Workbook:
    """A workbook's first sheet: its merged ranges and, on demand, its rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with _opened(path) as book:
            try:
                names = set(book.namelist())
                self.sheet = _first_sheet(book, path)
                self.dates = _date_styles(book) if "xl/styles.xml" in names else frozenset()
                self.strings = _strings(book) if "xl/sharedStrings.xml" in names else []
                self.merged = _merged(book, self.sheet)
            except _BROKEN as exc:
                raise _unreadable(path, exc) from None

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        """``(0-based row index, cells)`` for every row the sheet lists, in order."""
        with _opened(self.path) as book:
            try:
                with book.open(self.sheet) as stream:
                    yield from _SheetReader(self.strings, self.dates).read(stream)
            except _BROKEN as exc:
                raise _unreadable(self.path, exc) from None


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        book = zipfile.ZipFile(path)
    except _BROKEN as exc:
        raise _unreadable(path, exc) from None
    with book:
        for info in book.infolist():
            limit = MAX_STRINGS if info.filename == "xl/sharedStrings.xml" else MAX_PART
            if info.file_size > limit:
                raise ConfigurationError(
                    f"{path}: part {info.filename} unpacks to {info.file_size:,} bytes (more"
                    f" than {limit:,}): not an ordinary workbook; save it as CSV")
        yield book


def _unreadable(path: Path, exc: BaseException) -> ConfigurationError:
    return ConfigurationError(f"{path}: not a readable .xlsx workbook ({exc})")


def _parse(stream: IO[bytes], start: Callable[..., None] | None = None,
           end: Callable[[str], None] | None = None,
           text: Callable[[str], None] | None = None) -> Iterator[None]:
    """Feed ``stream`` to expat a chunk at a time, yielding after each chunk."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    while chunk := stream.read(_CHUNK):
        parser.Parse(chunk, False)
        yield None
    parser.Parse(b"", True)
    yield None


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _first_sheet(book: zipfile.ZipFile, path: Path) -> str:
    names = set(book.namelist())
    rid: list[str] = []
    targets: dict[str, str] = {}

    def on_book(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "sheet" and not rid:
            rid.extend(v for k, v in attrs.items() if _local(k) == "id")

    def on_rels(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    for part, handler in (("xl/workbook.xml", on_book),
                          ("xl/_rels/workbook.xml.rels", on_rels)):
        if part in names:
            with book.open(part) as stream:
                for _ in _parse(stream, handler):
                    pass
    target = targets.get(rid[0], "") if rid else ""
    sheet = (target.lstrip("/") if target.startswith("/")
             else posixpath.normpath(posixpath.join("xl", target))) if target else ""
    if sheet not in names:
        raise ConfigurationError(f"{path}: the workbook has no sheets")
    return sheet


def _date_styles(book: zipfile.ZipFile) -> frozenset[int]:
    """Indexes of the cell formats (``s`` attribute) that show a number as a date."""
    custom: dict[int, str] = {}
    formats: list[int] = []
    depth = {"cellXfs": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "numFmt":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            depth["cellXfs"] = True
        elif tag == "xf" and depth["cellXfs"]:
            formats.append(int(attrs.get("numFmtId", "0")))

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            depth["cellXfs"] = False

    with book.open("xl/styles.xml") as stream:
        for _ in _parse(stream, start, end):
            pass
    return frozenset(i for i, f in enumerate(formats)
                     if f in _DATE_IDS or (f in custom and _is_date_format(custom[f])))


def _is_date_format(code: str) -> bool:
    bare = _QUOTED.sub("", code.split(";")[0]).lower()
    return any(c in bare for c in "ymdhs") and "general" not in bare


def _strings(book: zipfile.ZipFile) -> list[str]:
    """The shared strings; rich-text runs joined, phonetic guides (rPh) left out."""
    out: list[str] = []
    parts: list[str] = []
    state = {"t": False, "rph": 0}

    def start(name: str, _attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "t":
            state["t"] = not state["rph"]
        elif tag == "rPh":
            state["rph"] += 1

    def end(name: str) -> None:
        tag = _local(name)
        if tag == "t":
            state["t"] = False
        elif tag == "rPh":
            state["rph"] -= 1
        elif tag == "si":
            out.append("".join(parts))
            parts.clear()

    def text(data: str) -> None:
        if state["t"]:
            parts.append(data)

    with book.open("xl/sharedStrings.xml") as stream:
        for _ in _parse(stream, start, end, text):
            pass
    return out


def _merged(book: zipfile.ZipFile, sheet: str) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges as 0-based ``(row0, col0, row1, col1)``: found in one
    pass over the raw XML (Excel writes them after the rows)."""
    out: list[tuple[int, int, int, int]] = []
    tail = b""
    with book.open(sheet) as stream:
        while chunk := stream.read(_CHUNK):
            text, tail = tail + chunk, b""
            last = 0
            for match in _MERGE.finditer(text):
                a, b = _cell(match[1].decode()), _cell((match[2] or match[1]).decode())
                if a is not None and b is not None:
                    out.append((a[0], a[1], b[0], b[1]))
                last = match.end()
            cut = text.rfind(b"<", last)
            tail = text[cut:] if cut >= 0 and len(text) - cut < 256 else b""
    return out


def _cell(ref: str) -> tuple[int, int] | None:
    match = _REF.fullmatch(ref.replace("$", ""))
    if match is None:
        return None
    col = 0
    for ch in match[1]:
        col = col * 26 + ord(ch) - 64
    return int(match[2]) - 1, col - 1


_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
_CELL_REF = re.compile(rb'\br="\$?([A-Z]+)')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')
_CELL_STYLE = re.compile(rb'\bs="([0-9]+)"')
_V = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_T = re.compile(rb"<(?:\w+:)?t\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?t>)")
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_ROW_END = re.compile(rb"</(?:\w+:)?row>|<(?:\w+:)?row\b[^>]*/>")


class _SheetReader:
    """Rows of the sheet's XML, found with regular expressions a chunk at a time: the
    sheet part is machine-written and regular, and this is several times faster than an
    event parser calling back into Python for every element."""

    def __init__(self, strings: list[str], dates: frozenset[int]) -> None:
        self.strings, self.dates = strings, dates
        self.columns: dict[bytes, int] = {}

    def read(self, stream: IO[bytes]) -> Iterator[tuple[int, list[object]]]:
        buffer, index = b"", -1
        while True:
            chunk = stream.read(_CHUNK)
            buffer += chunk
            end = len(buffer) if not chunk else _last_row_end(buffer)
            if end:
                for match in _ROW.finditer(buffer, 0, end):
                    number = _ROW_NUMBER.search(match[1])
                    given = int(number[1]) - 1 if number else index + 1
                    if given <= index:  # a workbook lists its rows in order, once each
                        raise ValueError(f"row {given + 1} is listed after row {index + 1}")
                    index = given
                    yield index, self.cells(match[2] or b"")
                buffer = buffer[end:]
            if not chunk:
                return

    def cells(self, body: bytes) -> list[object]:
        row: list[object] = []
        col = -1
        for attrs, inner in _CELL.findall(body):
            ref = _CELL_REF.search(attrs)
            col = self.column(ref[1]) if ref else col + 1
            if not inner:
                continue
            kind = _CELL_TYPE.search(attrs)
            value = self.value(kind[1] if kind else b"n", attrs, inner)
            if value != "":
                row += [""] * (col - len(row))
                row.append(value)
        return row

    def column(self, letters: bytes) -> int:
        col = self.columns.get(letters)
        if col is None:
            col = 0
            for ch in letters:
                col = col * 26 + ch - 64
            col = self.columns[letters] = col - 1
        return col

    def value(self, kind: bytes, attrs: bytes, inner: bytes) -> Any:
        if kind == b"inlineStr":
            if b"rPh" in inner:
                inner = _PHONETIC.sub(b"", inner)
            return _text(b"".join(t or b"" for t in _T.findall(inner)))
        found = _V.search(inner)
        raw = _text(found[1]) if found else ""
        if kind == b"s":
            i = int(raw) if raw.isdigit() else -1
            return self.strings[i] if 0 <= i < len(self.strings) else ""
        if kind == b"str":
            return raw
        if kind == b"e":  # #N/A, #REF! …: no value, as calamine reads it
            return ""
        if kind == b"b":
            return raw == "1"
        if raw == "":
            return ""
        if kind == b"d":
            try:
                return dt.datetime.fromisoformat(raw)
            except ValueError:
                return raw
        try:
            number = float(raw)
        except ValueError:
            return raw
        style = _CELL_STYLE.search(attrs) if self.dates else None
        if style and int(style[1]) in self.dates and 0 <= number < 2958466:
            return _EPOCH + dt.timedelta(days=number)
        return number


def _last_row_end(buffer: bytes) -> int:
    """Where the last complete row of ``buffer`` ends (0: none yet)."""
    at = buffer.rfind(b"row>")
    while at >= 0:
        match = _ROW_END.match(buffer, buffer.rfind(b"<", 0, at + 1))
        if match:
            return match.end()
        at = buffer.rfind(b"row>", 0, at)
    return 0


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return html.unescape(text) if "&" in text else text
