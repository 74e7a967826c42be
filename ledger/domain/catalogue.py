"""The licence catalogue (电子证照目录, Art. 3, 9): one versioned entry per licence type.

Every licence records the catalogue version it was issued under, and its face data is
validated against that entry's face fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ledger.domain.events import DomainEvent, event
from ledger.domain.identifiers import IdentifierError, validate_holder_code
from ledger.domain.text import is_ascii_digits
from ledger.errors import AlreadyExistsError, InvalidCommandError, NotFoundError
from ledger.integrity.canonical import freeze, parse_date

CATEGORIES = ("证件", "执照", "牌照", "证明", "批文", "鉴定报告", "办事结果")
HOLDER_CATEGORIES = ("natural_person", "legal_entity", "any")
DISCLOSURES = ("public", "restricted", "personal_or_secret")
FIELD_TYPES = ("string", "date", "integer", "code")
_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_FACE_TEXT = 500

# Holder code types by category (GB/T 36903 appendix).
PERSON_CODE_TYPES = frozenset(
    {"111", "114", "115", "118", "119", "120", "122", "411", "412", "413", "414", "511", "516",
     "999"}
)
ORGANISATION_CODE_TYPES = frozenset({"001", "099"})


@dataclass(frozen=True)
class CatalogueEntry:
    """State of one licence type at its latest version."""

    type_code: str
    version: int
    definition: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.definition["name"])

    @property
    def issuers(self) -> tuple[str, ...]:
        return tuple(self.definition["issuers"])

    @property
    def multiple_per_holder(self) -> bool:
        return bool(self.definition["multiple_per_holder"])

    @property
    def disclosure(self) -> str:
        return str(self.definition["disclosure"])

    @property
    def holder_category(self) -> str:
        return str(self.definition["holder_category"])

    @property
    def max_validity_years(self) -> int | None:
        value = self.definition["validity"].get("max_years")
        return None if value is None else int(value)

    @property
    def open_ended_allowed(self) -> bool:
        return bool(self.definition["validity"].get("open_ended", False))


@event
@dataclass(frozen=True)
class LicenceTypeRegistered(DomainEvent):
    type_code: str
    version: int
    definition: Mapping[str, Any]


@event
@dataclass(frozen=True)
class LicenceTypeRevised(DomainEvent):
    type_code: str
    version: int
    definition: Mapping[str, Any]


def register_type(
    current: CatalogueEntry | None, type_code: str, definition: Mapping[str, Any]
) -> LicenceTypeRegistered:
    if current is not None:
        raise AlreadyExistsError(
            f"licence type {type_code} is already in the catalogue (version {current.version});"
            " use ReviseLicenceType to publish a new version",
        )
    return LicenceTypeRegistered(type_code, 1, freeze(dict(definition)))


def revise_type(
    current: CatalogueEntry | None, type_code: str, definition: Mapping[str, Any]
) -> LicenceTypeRevised:
    if current is None:
        raise NotFoundError(f"licence type {type_code} is not in the catalogue")
    return LicenceTypeRevised(type_code, current.version + 1, freeze(dict(definition)))


def apply_catalogue(state: CatalogueEntry | None, evt: DomainEvent) -> CatalogueEntry:
    if isinstance(evt, LicenceTypeRegistered | LicenceTypeRevised):
        if state is None:
            return CatalogueEntry(evt.type_code, evt.version, evt.definition)
        return replace(state, version=evt.version, definition=evt.definition)
    raise TypeError(f"{type(evt).__name__} does not apply to a catalogue entry")


def validate_face(entry: CatalogueEntry, face: Mapping[str, Any], where: str = "face") -> None:
    """Check face data against the entry's face fields; raise naming the first bad field."""
    fields = {f["name"]: f for f in entry.definition["face_fields"]}
    unknown = sorted(set(face) - set(fields))
    if unknown:
        raise InvalidCommandError(
            f"{where}: unknown field(s) {', '.join(unknown)} for licence type {entry.type_code}"
            f" v{entry.version}; expected only {', '.join(sorted(fields))}"
        )
    for name, spec in fields.items():
        value = face.get(name)
        if value is None:
            if spec.get("required", False):
                raise InvalidCommandError(f"{where}.{name}: required by the catalogue, missing")
            continue
        _check_face_value(f"{where}.{name}", spec, value)


def _check_face_value(where: str, spec: Mapping[str, Any], value: Any) -> None:
    kind = spec["type"]
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidCommandError(f"{where}: expected an integer, got {value!r}")
        return
    if not isinstance(value, str):
        raise InvalidCommandError(f"{where}: expected text, got {type(value).__name__}")
    if kind == "date":
        try:
            parse_date(value)
        except ValueError as exc:
            raise InvalidCommandError(f"{where}: {exc}") from None
    elif kind == "code":
        codes = spec.get("codes") or ()
        if value not in codes:
            raise InvalidCommandError(f"{where}: {value!r} is not one of {', '.join(codes)}")
    else:
        if not value.strip() or len(value) > MAX_FACE_TEXT:
            raise InvalidCommandError(f"{where}: text must be 1..{MAX_FACE_TEXT} characters")
        pattern = spec.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            raise InvalidCommandError(f"{where}: {value!r} does not match pattern {pattern}")


def check_holder_category(entry: CatalogueEntry, code_types: list[str]) -> None:
    allowed = {
        "natural_person": PERSON_CODE_TYPES,
        "legal_entity": ORGANISATION_CODE_TYPES,
    }.get(entry.holder_category)
    if allowed is None:
        return
    for i, code_type in enumerate(code_types):
        if code_type not in allowed:
            raise InvalidCommandError(
                f"holders[{i}].code_type: {code_type} is not a {entry.holder_category}"
                f" code type, which licence type {entry.type_code} requires"
            )


def check_licence_fields(entry: CatalogueEntry, fields: Mapping[str, Any]) -> None:
    """A licence version's fields (as a command gives them, so errors name ``payload.…``)
    against its type: holders, their codes and category, the face, area code, file hash
    and the required texts."""
    holders = fields["holders"]
    if not holders:
        raise InvalidCommandError("payload.holders: a licence needs at least one holder")
    for i, h in enumerate(holders):
        try:
            validate_holder_code(h["code_type"], h["code"])
        except IdentifierError as exc:
            raise InvalidCommandError(f"payload.holders[{i}]: {exc}") from None
    check_holder_category(entry, [h["code_type"] for h in holders])
    validate_face(entry, fields["face"], "payload.face")
    area = fields["area_code"]
    if not is_ascii_digits(area, 6):
        raise InvalidCommandError(
            f"payload.area_code: expected a 6-digit GB/T 2260 area code, got {area!r}")
    file_hash = fields.get("file_hash")
    if file_hash is not None and not _SHA256.fullmatch(file_hash):
        raise InvalidCommandError(
            "payload.file_hash: expected 64 lower-case hex digits (SHA-256)")
    for name in ("licence_number", "matter_code", "case_number"):
        value = fields[name]
        if not isinstance(value, str) or not value.strip():
            raise InvalidCommandError(f"payload.{name}: required text is missing or empty")
