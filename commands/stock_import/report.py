"""The findings of an import as a workbook or CSV file for the issuing department."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ledger.errors import ConfigurationError

HEADER = ("行 row", "列 column", "级别 severity", "代码 code", "说明 message")
KEYS = ("row", "column", "severity", "code", "message")


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write findings (one per line) and totals; ``.xlsx`` or ``.csv`` (UTF-8 with BOM,
    which Excel opens correctly)."""
    rows = ([getattr(f, k) for k in KEYS] for f in report["findings"])  # Finding objects
    totals = [("rows", report["rows"]), ("valid", report["valid"]),
              ("invalid", report["invalid"])]
    try:
        if path.suffix.lower() == ".xlsx":
            from openpyxl import Workbook

            book = Workbook(write_only=True)
            sheet = book.create_sheet("findings")
            sheet.append(HEADER)
            for row in rows:
                sheet.append(row)
            summary = book.create_sheet("totals")
            for item in totals:
                summary.append(item)
            book.save(path)
            return
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows)
    except OSError as exc:
        raise ConfigurationError(f"cannot write the report {path}: {exc.strerror}") from None
