"""Paper counts in, a signed reconciliation report out (what each figure means: reconcile.py).

The paper register arrives as CSV with the header
``department,licence_type,period,issued,changed,withdrawn,in_force`` (any column order).
Every paper row is compared with the replay; for each department and month the paper
covers, a licence type the ledger has figures for but the paper lacks is a mismatch too.
Each mismatch lists the licences behind the ledger's figure, so a clerk can find which
paper entry is missing or extra. The report names the checkpoint whose prefix of the log
it replayed and is signed by the ledger key over its canonical JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ledger.domain.identifiers import IdentifierError, validate_uscc
from ledger.domain.text import is_ascii_digits
from ledger.errors import InvalidSignatureError, LedgerError
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import SigningKey, b64decode, b64encode, verify
from ledger.reconciliation.reconcile import MEASURES, Period, PeriodError, Replay
from ledger.transparency.checkpoint import Checkpoint, KeyHistory

FORMAT: Final = "licence-ledger-reconciliation/1"
COLUMNS: Final = ("department", "licence_type", "period", *MEASURES)


class PaperCountError(LedgerError):
    """The paper register file cannot be read as the expected CSV."""

    code = "bad_paper_counts"


class ReportError(LedgerError):
    """A reconciliation report is malformed or its signature does not verify."""

    code = "bad_report"


@dataclass(frozen=True)
class PaperCount:
    """One row of a paper register."""

    department: str
    licence_type: str
    period: Period
    counts: dict[str, int]


def parse_paper_csv(text: str, source: str) -> list[PaperCount]:
    """Read a paper register; raise :class:`PaperCountError` naming the line and column."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra:
        raise PaperCountError(f"{source}: the header must name the columns {','.join(COLUMNS)};"
                              f" missing {missing or 'none'}, unexpected {extra or 'none'}")
    rows: list[PaperCount] = []
    seen: set[tuple[str, str, str]] = set()
    for row in reader:
        where = f"{source} line {reader.line_num}"
        if None in row or any(row[c] is None for c in COLUMNS):
            raise PaperCountError(f"{where}: expected {len(COLUMNS)} fields")
        try:
            department = validate_uscc(row["department"].strip())
        except IdentifierError as exc:
            raise PaperCountError(f"{where}, column department: {exc.message}") from None
        licence_type = row["licence_type"].strip()
        if len(licence_type) != 21 or not is_ascii_digits(licence_type[18:]):
            raise PaperCountError(f"{where}, column licence_type: {licence_type!r} is not a"
                                  " 21-character type code (USCC + 3 digits)")
        try:
            period = Period.parse(row["period"])
        except PeriodError as exc:
            raise PaperCountError(f"{where}, column period: {exc.message}") from None
        counts = {m: _count(row[m], f"{where}, column {m}") for m in MEASURES}
        key = (department, licence_type, period.text)
        if key in seen:
            raise PaperCountError(f"{where}: a second row for {department}, {licence_type},"
                                  f" {period.text}")
        seen.add(key)
        rows.append(PaperCount(department, licence_type, period, counts))
    if not rows:
        raise PaperCountError(f"{source}: no rows after the header")
    return rows


def _count(text: str, where: str) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        raise PaperCountError(f"{where}: {text!r} is not a whole number of at least 0")
    return int(value)


def compare(replay: Replay, paper: list[PaperCount]) -> list[dict[str, Any]]:
    """One row per paper row, plus every ledger-only type in a month the paper covers."""
    rows = []
    covered: dict[tuple[str, str], tuple[Period, set[str]]] = {}
    for p in paper:
        counts = replay.counts(p.department, p.licence_type, p.period)
        rows.append(_row(p.department, p.licence_type, p.period, p.counts, counts))
        covered.setdefault((p.department, p.period.text), (p.period, set()))[1].add(
            p.licence_type)
    for (department, _), (period, types) in covered.items():
        for type_code in sorted(replay.types_of(department) - types):
            counts = replay.counts(department, type_code, period)
            if any(counts.numbers()[m] for m in MEASURES):
                rows.append(_row(department, type_code, period, None, counts))
    return sorted(rows, key=lambda r: (r["department"], r["period"], r["licence_type"]))


def ledger_rows(replay: Replay, department: str, period: Period) -> list[dict[str, Any]]:
    """The ledger's figures for one department and month, every type, with no paper."""
    return [_row(department, t, period, None, replay.counts(department, t, period))
            for t in sorted(replay.types_of(department))]


def _row(department: str, type_code: str, period: Period, paper: dict[str, int] | None,
         counts: Any) -> dict[str, Any]:
    ledger = counts.numbers()
    if paper is None:
        differ = [m for m in MEASURES if ledger[m]]
    else:
        differ = [m for m in MEASURES if ledger[m] != paper[m]]
    return {
        "department": department, "licence_type": type_code, "period": period.text,
        "paper": paper, "ledger": ledger, "matches": paper is not None and not differ,
        "mismatches": differ if paper is not None else [],
        "licences": {m: getattr(counts, m) for m in (differ if paper is not None else
                                                      [*MEASURES, "voided"])},
    }


def build_report(rows: list[dict[str, Any]], checkpoint: Checkpoint, computed_at: str,
                 paper_source: str | None) -> dict[str, Any]:
    """The unsigned report body."""
    compared = paper_source is not None
    return {
        "format": FORMAT, "computed_at": computed_at, "paper": paper_source,
        "period_zone": "+08:00", "definitions": "docs/transparency.md#reconciliation",
        "checkpoint": {k: v for k, v in checkpoint.to_json().items() if k != "note"},
        "ok": all(r["matches"] for r in rows) if compared else None,
        "mismatches": sum(1 for r in rows if not r["matches"]) if compared else None,
        "rows": rows,
    }


def sign_report(body: dict[str, Any], signer: SigningKey) -> dict[str, Any]:
    """The report with the ledger's signature over the canonical JSON of ``body``."""
    signature = signer.sign(signing_bytes(body))
    return {**body, "signature": {"key_id": signer.key_id, "algorithm": signer.algorithm,
                                  "value": b64encode(signature)}}


def verify_report(report: Mapping[str, Any], keys: KeyHistory) -> None:
    """Raise :class:`ReportError` unless a ledger key in ``keys`` signed ``report``."""
    signature = report.get("signature")
    if not isinstance(signature, Mapping) or report.get("format") != FORMAT:
        raise ReportError(f"not a signed reconciliation report in format {FORMAT}")
    key = keys.get(str(signature.get("key_id")))
    if key is None or key[0] != signature.get("algorithm"):
        raise ReportError(f"reconciliation report is signed by {signature.get('key_id')!r},"
                          " which is not a ledger key in the history")
    try:
        verify(key[0], key[1], signing_bytes(report),
               b64decode(str(signature.get("value")), what="report signature"))
    except (InvalidSignatureError, ValueError):
        raise ReportError("reconciliation report: the ledger signature does not verify"
                          " (the report was altered)") from None
