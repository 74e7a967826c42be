"""The README inside each archive package: this package's facts, then docs/archive.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "archive.md"
_FALLBACK = """\
## How to check this package

Run `ledger archive verify DIR` (no database or network needed). The guide to the
format is docs/archive.md in the licence-ledger source distribution.
"""


def readme(description: dict[str, Any], report: dict[str, Any]) -> str:
    """Markdown for the archivist: what this package holds, and how to check it."""
    checkpoint = description["checkpoint"]
    figures = "\n".join(
        f"| {r['licence_type']} | {r['ledger']['issued']} | {r['ledger']['changed']} |"
        f" {r['ledger']['withdrawn']} | {r['ledger']['in_force']} |"
        for r in report["rows"])
    header = f"""\
# Archive package: department {description['department']}, {description['period']}

- Period: {description['period_start']} to {description['period_end']} (UTC instants;
  the month is counted in China Standard Time, UTC+08:00)
- Exported: {description['exported_at']}
- Events: {description['events']}; licences with events in the period: \
{description['licences']}
- Checkpoint: tree size {checkpoint['size']}, root `{checkpoint['root']}`
- Ledger key: `{checkpoint['key_id']}`: compare it with the key the ledger publishes,
  then run `ledger archive verify DIR --ledger-key {checkpoint['key_id']}`.

| licence type | issued | changed | withdrawn | in force at month end |
|---|---|---|---|---|
{figures}

"""
    guide = _GUIDE.read_text(encoding="utf-8") if _GUIDE.is_file() else _FALLBACK
    return header + guide
