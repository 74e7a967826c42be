"""``ledger import``: check a stock file row by row and issue its valid rows (Art. 12, 14).

Findings go to stdout (one line each, or one JSON object with ``--json``), the totals
table and progress to stderr. See docs/import.md for preparing a file and every finding.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from commands.bootstrap import Services, bootstrap
from commands.cli.output import fail, progress, table
from commands.settings import load_settings
from commands.stock_import.issue import Issuer
from commands.stock_import.report import write_report
from commands.stock_import.source import Source, open_source
from ledger.domain import streams
from ledger.domain.catalogue import CatalogueEntry, apply_catalogue
from ledger.domain.departments import apply_department
from ledger.domain.identifiers import IdentifierError, validate_uscc
from ledger.domain.localtime import beijing_date
from ledger.errors import ConfigurationError
from ledger.integrity.signing import load_signing_key
from ledger.stock.columns import Columns, MappingError, check_mapping, locate
from ledger.stock.rows import Existing, Finding, RowChecker
from ledger.stock.values import comparison_key
from licence_files.labels import printed_labels
from projections.models.queries import get_catalogue


def register(sub: Any) -> None:
    p = sub.add_parser("import", help="check a stock licence file (.xlsx/.csv) and issue its"
                       " valid rows as licences converted from paper")
    p.add_argument("file", type=Path, metavar="FILE",
                   help="the .xlsx workbook (first sheet) or .csv file")
    p.add_argument("--type", required=True, metavar="CODE", help="licence type code")
    p.add_argument("--issuer", required=True, metavar="CODE", help="issuing department USCC")
    p.add_argument("--keys", required=True, type=Path, metavar="DIR",
                   help="directory of <actor USCC>.pem keys (as for ledger sign --keys)")
    p.add_argument("--mapping", type=Path, metavar="MAP.toml",
                   help="[columns] header = field, [defaults] field = value")
    p.add_argument("--dry-run", action="store_true", help="check only; issue nothing")
    p.add_argument("--report", type=Path, metavar="OUT",
                   help="write the findings to OUT.xlsx or OUT.csv for the department")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=import_file)


def import_file(args: argparse.Namespace) -> int:
    if args.report is not None and args.report.suffix.lower() not in (".xlsx", ".csv"):
        return fail(f"--report {args.report}: expected a file name ending .xlsx or .csv")
    source = open_source(args.file)
    settings = load_settings()
    services = bootstrap(settings)
    try:
        services.projections.catch_up()  # duplicates are looked up in the read models
        entry = _entry(services, args.type, args.issuer)
        key = None if args.dry_run else load_signing_key(args.keys / f"{args.issuer}.pem")
        columns_map, defaults = _mapping(entry, args.mapping)
        area = _area(services, args.issuer)
        defaults = {"area_code": area, **defaults} if area else defaults
        columns = locate(entry, source.top(), columns_map, printed_labels(entry.definition))
        checker = RowChecker(entry, columns.labels, defaults, _existing(services, entry),
                             _holder_names(services, args.issuer),
                             beijing_date(datetime.now(UTC)).isoformat())
        header = _header_findings(checker.required, columns, defaults)
        issuer = None if key is None else Issuer(
            services, key, args.issuer, source.sha256, settings.batch_size,
            columns.labels.get("licence_number", "licence_number"))
        totals, findings = _run(source, columns, checker, issuer)
        if totals["rows"] == 0:
            raise ConfigurationError(f"{args.file}: no licence rows below the header (row"
                                     f" {columns.header_row}); nothing to check")
    except MappingError as exc:
        raise ConfigurationError(exc.message) from None
    finally:
        services.close()
    findings = header + findings + (issuer.findings if issuer else [])
    findings.sort(key=lambda f: (f.row, f.column))
    invalid_rows = {f.row for f in findings if f.severity == "error" and f.row > columns.header_row}
    report = {"rows": totals["rows"], "valid": totals["rows"] - len(invalid_rows),
              "invalid": len(invalid_rows), "findings": findings}
    if args.report is not None:
        write_report(args.report, report)
    _print(report, args.json, issuer)
    blocking = invalid_rows or any(f.severity == "error" for f in header)
    return 1 if blocking else 0


def _entry(services: Services, type_code: str, issuer: str) -> CatalogueEntry:
    entry = services.ledger.get(streams.catalogue_stream(type_code), apply_catalogue)
    if entry is None:
        raise ConfigurationError(f"--type {type_code}: no such licence type in the catalogue;"
                                 f" {_known_types(services)}")
    try:
        validate_uscc(issuer)  # its shape before the lookup, as every command checks a code
    except IdentifierError as exc:
        raise ConfigurationError(f"--issuer {issuer!r}: {exc.message}") from None
    if issuer not in entry.issuers:
        raise ConfigurationError(f"--issuer {issuer}: not among the issuers of licence type"
                                 f" {type_code} ({', '.join(entry.issuers)})")
    return entry


def _known_types(services: Services) -> str:
    """The catalogue's types, for the message of a wrong ``--type`` (the newcomer's list)."""
    rows = get_catalogue(services.read_db)
    if not rows:
        return "the catalogue is empty (register a type with RegisterLicenceType first)"
    shown = [f"{r['type_code']} {r['name']} (issuer"
             f" {', '.join(r['definition'].get('issuers', []))})" for r in rows[:10]]
    more = f", and {len(rows) - 10} more" if len(rows) > 10 else ""
    return "expected one of: " + "; ".join(shown) + more


def _area(services: Services, issuer: str) -> str | None:
    department = services.ledger.get(streams.department_stream(issuer), apply_department)
    return None if department is None else department.area_code


def _mapping(entry: CatalogueEntry, path: Path | None) -> tuple[dict[str, str], dict[str, str]]:
    if path is None:
        return {}, {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{path}: not a UTF-8 TOML file ({exc})") from None
    return check_mapping(entry, raw, str(path))


def _header_findings(required: tuple[str, ...], columns: Columns,
                     defaults: dict[str, str]) -> list[Finding]:
    out = [Finding(columns.header_row, text, "warning", "unknown_column",
                   f"column {text!r} is not mapped to any field and is ignored")
           for text in columns.unmapped]
    for target in required:
        if target not in columns.index and target not in defaults:
            out.append(Finding(columns.header_row, target, "error", "missing_column",
                               f"no column holds {target}: name one in the header or in the"
                               " mapping's [columns], or give it in [defaults]"))
    return out


def _existing(services: Services, entry: CatalogueEntry) -> Any:
    """Numbers of this type already in the ledger (its read model), by comparison key."""
    rows = services.read_db.query(
        "SELECT licence_number, serial FROM licences WHERE type_code = ?", (entry.type_code,))
    known = {comparison_key(number): Existing(number, serial) for number, serial in rows}
    return known.get


def _holder_names(services: Services, issuer: str) -> Any:
    """Holder code → name on the issuer's licences (the read model)."""
    rows = services.read_db.query(
        "SELECT h.code, h.name FROM licence_holders h JOIN licences l ON l.stream = h.stream"
        " WHERE l.issuer_code = ? ORDER BY h.code, h.name", (issuer,))
    names: dict[str, tuple[str, ...]] = {}
    for code, name in rows:
        if name not in names.get(code, ()):
            names[code] = (*names.get(code, ()), str(name))
    return lambda code: names.get(code, ())


def _run(source: Source, columns: Columns, checker: RowChecker,
         issuer: Issuer | None) -> tuple[dict[str, int], list[Finding]]:
    findings: list[Finding] = []
    count = 0
    fields = list(columns.index)
    with progress() as bar:
        task = bar.add_task("checking" if issuer is None else "importing",
                            total=source.rows_after(columns.header_row))
        if issuer is not None:
            issuer.on_batch = lambda n: bar.advance(task, n)
        for row, cells in source.rows(columns.header_row):
            count += 1
            values = {t: cells[columns.index[t]] for t in fields
                      if columns.index[t] < len(cells)}
            payload, found = checker.check(row, values)
            findings.extend(found)
            if payload is not None and issuer is not None:
                issuer.add(row, payload)
            elif issuer is None and count % 1000 == 0:
                bar.advance(task, 1000)
            elif payload is None and issuer is not None:
                bar.advance(task, 1)  # an invalid row is done with too
        if issuer is not None:
            issuer.flush()
    return {"rows": count}, findings


def _print(report: dict[str, Any], as_json: bool, issuer: Issuer | None) -> None:
    if as_json:  # one finding at a time: a dirty file has findings by the hundred thousand
        out = sys.stdout.buffer
        out.write(orjson.dumps({k: report[k] for k in ("rows", "valid", "invalid")})[:-1]
                  + b',"findings":[')
        for i, f in enumerate(report["findings"]):
            out.write(b"," + orjson.dumps(f) if i else orjson.dumps(f))
        out.write(b"]}\n")
    else:
        for f in report["findings"]:
            message = " ".join(f.message.split())
            print(f"{f.row}\t{f.column}\t{f.severity}\t{f.code}\t{message}")
    sys.stdout.flush()
    rows = [("rows", report["rows"]), ("valid", report["valid"]),
            ("invalid", report["invalid"])]
    if issuer is not None:
        rows += [("issued now", issuer.issued), ("issued before (skipped)", issuer.already)]
    table("import totals", ["count", "rows"], rows)
