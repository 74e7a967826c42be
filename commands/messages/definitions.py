"""Strict decoding of a catalogue entry's definition (the body of a licence type)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from commands.messages import limits
from commands.messages.fields import decode_object, fail
from ledger.domain.catalogue import CATEGORIES, DISCLOSURES, FIELD_TYPES, HOLDER_CATEGORIES
from ledger.domain.identifiers import IdentifierError, validate_uscc
from ledger.domain.text import is_ascii_digits
from ledger.integrity.canonical import freeze, thaw


@dataclass(frozen=True)
class FaceField:
    name: str
    type: str
    required: bool = False
    pattern: str | None = None
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Validity:
    max_years: int | None = None
    open_ended: bool = False


@dataclass(frozen=True)
class Template:
    id: str
    version: int


@dataclass(frozen=True)
class Annotation:
    """Limits on annotated copies (加注件): days of validity and live copies per window."""

    max_days: int = 90
    max_live: int = 3


@dataclass(frozen=True)
class LicenceTypeDefinition:
    name: str
    category: str
    defining_authority: str
    issuers: tuple[str, ...]
    holder_category: str
    face_fields: tuple[FaceField, ...]
    validity: Validity
    template: Template
    disclosure: str
    multiple_per_holder: bool
    scenarios: tuple[str, ...] = ()
    public_fields: tuple[str, ...] = ()
    annotation: Annotation = field(default_factory=Annotation)


def _one_of(where: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        fail(where, f"{value!r} is not one of {', '.join(allowed)}")


def decode_definition(type_code: str, raw: Any) -> dict[str, Any]:
    """Decode and check a definition; return it as a frozen, JSON-native mapping."""
    where = "payload.definition"
    if len(type_code) != 21 or not is_ascii_digits(type_code[18:]):
        fail("payload.type_code", "expected 21 characters: the defining authority's USCC"
             " followed by a 3-digit sequence")
    try:
        validate_uscc(type_code[:18])
    except IdentifierError as exc:
        fail("payload.type_code", f"its first 18 characters are not a valid USCC: {exc}")
    d = decode_object(where, LicenceTypeDefinition, thaw(raw))
    _one_of(f"{where}.category", d.category, CATEGORIES)
    _one_of(f"{where}.holder_category", d.holder_category, HOLDER_CATEGORIES)
    _one_of(f"{where}.disclosure", d.disclosure, DISCLOSURES)
    if not d.issuers:
        fail(f"{where}.issuers", "at least one issuing department is required")
    for i, code in enumerate(d.issuers):
        try:
            validate_uscc(code)
        except IdentifierError as exc:
            fail(f"{where}.issuers[{i}]", str(exc))
    names = [f.name for f in d.face_fields]
    if len(set(names)) != len(names):
        fail(f"{where}.face_fields", "field names must be unique")
    for i, ff in enumerate(d.face_fields):
        _one_of(f"{where}.face_fields[{i}].type", ff.type, FIELD_TYPES)
        if ff.type == "code" and not ff.codes:
            fail(f"{where}.face_fields[{i}].codes", "a code field needs its list of codes")
        if ff.pattern is not None:
            try:
                re.compile(ff.pattern)
            except re.error as exc:
                fail(f"{where}.face_fields[{i}].pattern", f"not a valid pattern: {exc}")
    unknown_public = sorted(set(d.public_fields) - set(names))
    if unknown_public:
        fail(f"{where}.public_fields", f"not face fields: {', '.join(unknown_public)}")
    # No licence outlives the dates the ledger holds; a longer limit only overflowed the
    # date arithmetic of every issue of the type.
    longest = limits.MAX_YEAR - limits.MIN_YEAR
    if d.validity.max_years is not None and not 1 <= d.validity.max_years <= longest:
        fail(f"{where}.validity.max_years",
             f"must be 1..{longest} (or null for no limit), got {d.validity.max_years}")
    if d.annotation.max_days < 1 or d.annotation.max_live < 1:
        fail(f"{where}.annotation", "max_days and max_live must be at least 1")
    if d.annotation.max_days > longest * 366:  # the same overflow, in days
        fail(f"{where}.annotation.max_days",
             f"must be at most {longest * 366}, got {d.annotation.max_days}")
    result: dict[str, Any] = freeze(dataclasses.asdict(d))
    return result
