"""One row of a stock file checked against a catalogue entry and the rows before it.

:class:`RowChecker` turns a row (raw cell values keyed by target field) into the payload
of an ``IssueLicence`` and a list of :class:`Finding`; an ``error`` finding makes the row
invalid, a ``warning`` records a repair. Finding codes are explained in docs/import.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ledger.domain.catalogue import CatalogueEntry, _check_face_value
from ledger.domain.licence import STOCK_CONVERSION, check_validity
from ledger.domain.text import CODE, NAME, NUMBER, TEXT
from ledger.errors import InvalidCommandError
from ledger.stock.values import (
    ValueProblem,
    cell_text,
    check_damaged_number,
    check_length,
    check_policy,
    comparison_key,
    holder_code,
    parse_date,
)

CORE_FIELDS: Final = (
    "licence_number", "holder_name", "holder_code", "holder_code_type", "issue_date",
    "valid_from", "valid_until", "paper_number", "area_code", "case_number",
)
"""Targets a column or default may name besides the entry's face fields."""
DATE_FIELDS: Final = ("issue_date", "valid_from", "valid_until")
ALWAYS_REQUIRED: Final = ("licence_number", "holder_name", "holder_code", "issue_date")
STOCK_MATTER: Final = STOCK_CONVERSION  # the matter of every import: reconcile reads it
# The longest value an IssueLicence takes per field, and its text kind: the limits of
# commands/messages/limits.py (tests/unit/ledger/stock/test_rows.py keeps them equal).
MAX_CODE, MAX_NUMBER, MAX_NAME, MAX_FACE_TEXT, MAX_DATE = 64, 100, 200, 500, 64
TEXT_RULES: Final[Mapping[str, tuple[str | None, int]]] = {
    "licence_number": (NUMBER, MAX_NUMBER), "paper_number": (NUMBER, MAX_NUMBER),
    "case_number": (NUMBER, MAX_NUMBER), "holder_code": (None, MAX_NUMBER),
    "holder_name": (NAME, MAX_NAME), "holder_code_type": (CODE, MAX_CODE),
    "area_code": (CODE, MAX_CODE),
    **{d: (None, MAX_DATE) for d in ("issue_date", "valid_from", "valid_until")},
}
FACE_RULE: Final = (TEXT, MAX_FACE_TEXT)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or repair: spreadsheet row, column header, severity, code, message."""

    row: int
    column: str
    severity: str  # "error" (the row is not imported) or "warning" (repaired, imported)
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "severity": self.severity,
                "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Existing:
    """A licence already in the ledger with the same number (after normalisation)."""

    licence_number: str
    serial: str


@dataclass
class RowChecker:
    """Checks rows in file order; remembers numbers and holders to find duplicates.

    ``labels`` maps each target to the column header shown in findings; ``existing``
    looks a number's comparison key up in the ledger.
    """

    entry: CatalogueEntry
    labels: Mapping[str, str]
    defaults: Mapping[str, str]
    existing: Callable[[str], Existing | None] = lambda _key: None
    holder_names: Callable[[str], tuple[str, ...]] = lambda _code: ()  # in the ledger
    today: str = ""  # YYYY-MM-DD (Beijing): rows valid until before it have expired
    required: tuple[str, ...] = field(default=(), init=False)  # fields every row needs
    _face: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    _numbers: dict[str, int] = field(default_factory=dict)
    _holders: dict[str, tuple[str, int]] = field(default_factory=dict)
    _holder_rows: dict[str, int] = field(default_factory=dict)

    def check(self, row: int, cells: Mapping[str, object]) -> tuple[dict[str, Any] | None,
                                                                     list[Finding]]:
        """The ``IssueLicence`` payload (None when an error was found) and the findings."""
        found: list[Finding] = []
        values: dict[str, object] = dict(self.defaults)
        for k, v in cells.items():
            # Dates keep their cell type (a date cell, a day number); the rest become text.
            v = v if k in DATE_FIELDS and type(v) is not str else cell_text(v)
            if v != "":
                values[k] = v

        def note(target: str, severity: str, code: str, message: str) -> None:
            found.append(Finding(row, self.labels.get(target, target), severity, code, message))

        text: dict[str, Any] = {}
        for target in self.required:
            if target not in values:
                note(target, "error", "missing_required", f"{target} is required by licence"
                     f" type {self.entry.type_code} v{self.entry.version} and is empty")
        for target, raw in values.items():
            try:
                kind, most = TEXT_RULES.get(target, FACE_RULE)
                if type(raw) is str:
                    check_length(raw, most)
                    if kind is not None:
                        check_policy(raw, kind)
                text[target] = self._value(target, raw, note, values.get("holder_code_type"))
            except ValueProblem as exc:
                note(target, "error", exc.code, exc.message)
        # Invalid rows count for duplicates too: which of two rows is right is for the
        # department to say, not for the order of the file.
        self._duplicates(row, text, note)
        if any(f.severity == "error" for f in found):
            return None, found
        payload = self._payload(text)
        try:
            check_validity(self.entry, payload)
        except InvalidCommandError as exc:
            note("valid_until", "error", "bad_validity", exc.message)
        if any(f.severity == "error" for f in found):
            return None, found
        until = payload["valid_until"]
        if self.today and until and until < self.today:
            note("valid_until", "warning", "expired", f"valid until {until}: the licence has"
                 " expired; it is issued as valid (01), so record its expiry (ExpireLicence)"
                 " after the import, or drop the row if it need not be converted")
        return payload, found

    def __post_init__(self) -> None:
        need = [*ALWAYS_REQUIRED]
        if not self.entry.open_ended_allowed:
            need.append("valid_until")
        need += [f["name"] for f in self.entry.definition["face_fields"] if f.get("required")]
        self.required = tuple(need)
        self._face = {f["name"]: f for f in self.entry.definition["face_fields"]}

    def _value(self, target: str, raw: object, note: Callable[[str, str, str, str], None],
               given_type: object) -> Any:
        if target in DATE_FIELDS:
            iso, rule = parse_date(raw)
            if rule:
                note(target, "warning", "date_normalised", rule)
            return iso
        text = raw if type(raw) is str else cell_text(raw)
        if target == "holder_code":
            code, repairs = holder_code(self._code_type(text, given_type), text)
            for repair in repairs:
                note(target, "warning", "code_normalised", repair)
            return code
        check_damaged_number(text)
        spec = self._face.get(target)
        return text if spec is None else self._face_value(spec, text)

    def _face_value(self, spec: Mapping[str, Any], text: str) -> Any:
        value: Any = text
        if spec["type"] == "integer":
            value = int(text) if text.lstrip("-").isdigit() else text
        elif spec["type"] == "date":
            value = parse_date(text)[0]
        try:
            _check_face_value(spec["name"], spec, value)
        except InvalidCommandError as exc:
            raise ValueProblem("bad_value", exc.message) from None
        return value

    def _code_type(self, code: str, given: object = None) -> str:
        """The column or default if given; else by the type's holders; else by shape."""
        if isinstance(given, str) and given:
            return given
        if self.entry.holder_category == "natural_person":
            return "111"
        if self.entry.holder_category == "legal_entity":
            return "001"
        return "111" if len(code) in (17, 18) and code[:17].isdigit() else "001"

    def _payload(self, text: Mapping[str, Any]) -> dict[str, Any]:
        number = text["licence_number"]
        paper = text.get("paper_number") or None
        return {
            "type_code": self.entry.type_code, "serial": serial_for(number),
            "licence_number": number,
            "holders": [{"name": text["holder_name"], "code": text["holder_code"],
                         "code_type": text.get("holder_code_type")
                         or self._code_type(text["holder_code"])}],
            "issue_date": text["issue_date"],
            "valid_from": text.get("valid_from") or text["issue_date"],
            "valid_until": text.get("valid_until") or None,
            "area_code": text.get("area_code", ""),
            "face": {n: text[n] for n in self._face if n in text},
            "matter_code": STOCK_MATTER,
            "case_number": text.get("case_number") or f"STOCK-{paper or number}",
            "paper_number": paper,
        }

    def _duplicates(self, row: int, text: Mapping[str, Any],
                    note: Callable[[str, str, str, str], None]) -> None:
        number, first = text.get("licence_number"), row
        if number:
            key = comparison_key(number)
            first = self._numbers.setdefault(key, row)
            if first != row:
                note("licence_number", "error", "duplicate_in_file", f"licence number"
                     f" {number!r} is already on row {first} (spaces and full/half-width"
                     " ignored)")
            known = self.existing(key)
            if known is not None and known.serial != serial_for(number):
                note("licence_number", "error", "duplicate_in_ledger", f"licence number"
                     f" {number!r} is already in the ledger as {known.licence_number!r}"
                     " (spaces and full/half-width ignored)")
        code, name = text.get("holder_code"), text.get("holder_name")
        if not code or not name:
            return
        seen = self._holders.setdefault(code, (name, row))
        in_ledger = self.holder_names(code)
        if comparison_key(seen[0]) != comparison_key(name):
            note("holder_name", "warning", "holder_name_differs", f"holder {code} is named"
                 f" {name!r} here but {seen[0]!r} on row {seen[1]}")
        elif in_ledger and comparison_key(name) not in {comparison_key(k) for k in in_ledger}:
            note("holder_name", "warning", "holder_name_differs", f"holder {code} is named"
                 f" {name!r} here but {' / '.join(map(repr, in_ledger))} in the ledger")
        if not self.entry.multiple_per_holder:
            other = self._holder_rows.setdefault(code, row)
            if other != row and first == row:
                note("holder_code", "error", "duplicate_holder", f"holder {code} already has"
                     f" a licence of this type on row {other}, and the type allows one per"
                     " holder")


def serial_for(licence_number: str) -> str:
    """The serial a stock licence gets: from its normalised number, so one number always
    gives one licence stream whatever file or run it comes from."""
    digest = hashlib.sha256(comparison_key(licence_number).encode()).hexdigest()
    return "S" + digest[:23].upper()
