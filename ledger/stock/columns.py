"""Which column holds which field: the mapping file, or headers that name fields themselves.

A header may span two rows (a merged parent such as 持证主体 over 名称 and 代码): each
column is matched by its own text and by the parent's text followed by its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from ledger.domain.catalogue import CatalogueEntry
from ledger.errors import LedgerError
from ledger.stock.rows import CORE_FIELDS
from ledger.stock.values import comparison_key

STANDARD_LABELS: Final[Mapping[str, str]] = {
    "证照编号": "licence_number", "证书编号": "licence_number", "许可证编号": "licence_number",
    "持证主体": "holder_name", "持证主体名称": "holder_name", "持证人": "holder_name",
    "持证人名称": "holder_name", "持证人姓名": "holder_name",
    "持证主体代码": "holder_code", "持证人代码": "holder_code", "证件号码": "holder_code",
    "统一社会信用代码": "holder_code", "身份证号": "holder_code", "公民身份号码": "holder_code",
    "身份证号码": "holder_code", "持证主体代码类型": "holder_code_type",
    "发证日期": "issue_date", "颁证日期": "issue_date",
    "有效期起始日期": "valid_from", "有效期起": "valid_from", "有效期自": "valid_from",
    "有效期截止日期": "valid_until", "有效期止": "valid_until", "有效期至": "valid_until",
    "纸质证照编号": "paper_number", "纸质证书编号": "paper_number",
    "行政区划代码": "area_code", "办件编号": "case_number",
}
"""Chinese headers (GB/T 36903 metadata names and common variants) that map themselves."""
HEADER_SCAN_ROWS: Final = 10
EMPTY: Final[Mapping[str, str]] = MappingProxyType({})


class MappingError(LedgerError):
    """The mapping file or the header row cannot be used."""

    code = "bad_mapping"


@dataclass(frozen=True)
class Columns:
    """The header's position and, per target field, its column index and header text."""

    header_row: int  # 1-based, as the spreadsheet shows it
    index: Mapping[str, int]
    labels: Mapping[str, str]
    unmapped: tuple[str, ...]


def targets_of(entry: CatalogueEntry, face_labels: Mapping[str, str] = EMPTY
               ) -> dict[str, str]:
    """Every header that names a field by itself → the field: its key, a standard label,
    or the label the licence face prints for a face field (``face_labels``: field → label).

    A standard label wins over a face label (统一社会信用代码 is the holder's code, not a
    营业执照's ``uscc`` face field)."""
    known = {comparison_key(k): v for k, v in STANDARD_LABELS.items()}
    for name in CORE_FIELDS:
        known[comparison_key(name)] = name
    for spec in entry.definition["face_fields"]:
        known[comparison_key(spec["name"])] = spec["name"]
        label = face_labels.get(spec["name"])
        if label:
            known.setdefault(comparison_key(label), spec["name"])
    return known


def check_mapping(entry: CatalogueEntry, raw: Mapping[str, Any], source: str
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """Read a parsed mapping (``[columns]``, ``[defaults]``); raise naming the bad entry."""
    allowed = set(CORE_FIELDS) | {f["name"] for f in entry.definition["face_fields"]}
    unknown_tables = sorted(set(raw) - {"columns", "defaults"})
    if unknown_tables:
        raise MappingError(f"{source}: unknown table(s) {', '.join(unknown_tables)};"
                           " expected [columns] and [defaults]")
    out: list[dict[str, str]] = []
    for table in ("columns", "defaults"):
        body = raw.get(table, {})
        if not isinstance(body, dict):
            raise MappingError(f"{source}: [{table}] must be a table")
        for key, value in body.items():
            target = value if table == "columns" else key
            if not isinstance(value, str):
                raise MappingError(f"{source}: [{table}] {key!r} must be text,"
                                   f" got {type(value).__name__}")
            if target not in allowed:
                raise MappingError(f"{source}: [{table}] {key!r}: {target!r} is not a field"
                                   f" of licence type {entry.type_code}; expected one of"
                                   f" {', '.join(sorted(allowed))}")
        if table == "columns":
            seen: dict[str, str] = {}
            for header in body:
                other = seen.setdefault(comparison_key(header), header)
                if other != header:
                    raise MappingError(f"{source}: [columns] {other!r} and {header!r} are the"
                                       " same header (spaces and full/half-width ignored);"
                                       " give a second field of one column in [defaults]")
        out.append(dict(body))
    return out[0], out[1]


def locate(entry: CatalogueEntry, top: Sequence[Sequence[str]],
           columns: Mapping[str, str], face_labels: Mapping[str, str] = EMPTY) -> Columns:
    """Find the header among the first rows: the row whose columns name most fields.

    ``columns`` is the mapping file's ``[columns]``; ``face_labels`` the face fields'
    printed labels (field → label), which map themselves as keys do."""
    known = targets_of(entry, face_labels)
    known.update({comparison_key(h): t for h, t in columns.items()})
    best: Columns | None = None
    for r, cells in enumerate(top):
        parent = top[r - 1] if r else [""] * len(cells)
        index: dict[str, int] = {}
        labels: dict[str, str] = {}
        unmapped: list[str] = []
        for c, text in enumerate(cells):
            above = parent[c] if c < len(parent) and parent[c] != text else ""
            for candidate in (text, above + text):
                target = known.get(comparison_key(candidate)) if candidate else None
                if target and target not in index:
                    index[target], labels[target] = c, candidate
                    break
            else:
                if text:
                    unmapped.append(text)
        if best is None or len(index) > len(best.index):
            best = Columns(r + 1, index, labels, tuple(unmapped))
    if best is None or len(best.index) < 2:
        raise MappingError(f"no header row found in the first {HEADER_SCAN_ROWS} rows: no row"
                           " has two or more columns naming fields (licence_number, 证照编号,"
                           " …); give a --mapping file")
    return best
