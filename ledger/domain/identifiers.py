"""Identifiers on electronic licences: licence identifier, USCC, citizen ID, holder codes.

Every validator returns the value unchanged or raises :class:`IdentifierError`. Nothing is
silently normalised (no upcasing, no stripping): a licence identifier is signed and hashed
as text, and a "repaired" value would no longer be the one that was issued. The check
characters themselves are computed in :mod:`ledger.domain.check_digits`.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from ledger.domain.check_digits import (
    ALNUM36,
    DIGITS,
    USCC_ALPHABET,
    check_char,
    citizen_id_check_char,
    mod37_36_check,
    need_str,
    org_code_check_char,
    part,
    screen,
    uscc_check_char,
)
from ledger.domain.check_digits import IdentifierError as IdentifierError  # raised here too
from ledger.domain.text import latin_twins

LICENCE_ROOT = "1.2.156.3005.2"
# Only the shape of a birth date, to tell a citizen ID from an all-digit USCC; the calendar
# check is validate_citizen_id's, so 20230230 is reported as a bad date, not a bad USCC.
_CID_SHAPE = re.compile(r"[0-9]{6}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}")

HOLDER_CODE_TYPES: dict[str, str] = {
    "001": "统一社会信用代码 (unified social credit code)",
    "099": "其他法人或其他组织证件 (other organisation code)",
    "111": "居民身份证 (citizen ID)",
    "114": "中国人民解放军军官证 (military officer card)",
    "115": "中国人民武装警察警官证 (armed-police officer card)",
    "118": "中国人民解放军士兵证 (military soldier card)",
    "119": "中国人民武装警察士兵证 (armed-police soldier card)",
    "120": "中国人民解放军文职人员证 (military civilian staff card)",
    "122": "中国人民武装警察文职人员证 (armed-police civilian staff card)",
    "411": "外交护照 (diplomatic passport)",
    "412": "公务护照 (service passport)",
    "413": "因公普通护照 (public-affairs ordinary passport)",
    "414": "普通护照 (ordinary passport)",
    "511": "台湾居民来往大陆通行证 (Taiwan residents' mainland travel permit)",
    "516": "港澳居民来往内地通行证 (Hong Kong/Macao residents' mainland travel permit)",
    "999": "其他个人证件 (other personal document)",
}
"""Holder code types of the GB/T 36903 appendix, code → name."""

IdentifierKind = Literal["licence_identifier", "uscc", "citizen_id"]


@functools.lru_cache(maxsize=4096)  # a handful of departments sign millions of commands
def _check_uscc(text: object, what: str) -> str:
    text = part(text, what, USCC_ALPHABET, "a USCC character (0-9, A-Y)", 18)
    # The USCC check covers all 17 characters, so it goes first; the organisation check
    # then names damage confined to positions 9-17.
    check_char(what, 18, text[17], uscc_check_char(text[:17]))
    org = org_code_check_char(text[8:16])
    if text[16] != org:
        msg = f"{what}: organisation-code check at position 17 is {text[16]!r}, expected {org!r}"
        raise IdentifierError(msg, code="bad_org_check", position=17)
    return text


def validate_uscc(text: str) -> str:
    """Return ``text`` if it is a valid USCC (both check characters hold), else raise."""
    return _check_uscc(text, "USCC")


def make_uscc(prefix: str, org8: str) -> str:
    """Build a valid USCC from its first 8 characters and the 8-char organisation-code body.

    Both check characters are computed. The organisation check is a digit or ``X``, both
    in the USCC alphabet, so any prefix and body from that alphabet give a valid code.
    """
    part(prefix, "USCC prefix", USCC_ALPHABET, "a USCC character", 8)
    first17 = prefix + org8 + org_code_check_char(org8)
    return validate_uscc(first17 + uscc_check_char(first17))


def validate_citizen_id(text: str) -> str:
    """Return ``text`` if it is a valid citizen ID (real birth date, 1900 on), else raise."""
    what = "citizen ID"
    text = part(text, what, DIGITS + "X", "a digit, or X as the check character", 18)
    screen(text[:17], what, DIGITS, "a digit (only position 18 may be X)")
    birth = text[6:14]
    try:
        real = datetime.date(int(birth[:4]), int(birth[4:6]), int(birth[6:])).year >= 1900
    except ValueError:
        real = False
    if not real:
        msg = f"{what}: birth date {birth} (positions 7-14) is not a real date from 1900 on"
        raise IdentifierError(msg, code="bad_date", position=7)
    check_char(what, 18, text[17], citizen_id_check_char(text[:17]))
    return text


def make_citizen_id(area6: str, birth_yyyymmdd: str, seq3: str) -> str:
    """Build a valid citizen ID from area code, birth date (YYYYMMDD) and sequence."""
    part(area6, "citizen ID area code", DIGITS, "a digit", 6)
    part(birth_yyyymmdd, "citizen ID birth date", DIGITS, "a digit", 8)
    part(seq3, "citizen ID sequence", DIGITS, "a digit", 3)
    first17 = area6 + birth_yyyymmdd + seq3
    return validate_citizen_id(first17 + citizen_id_check_char(first17))


# --- Licence identifier (GB/T 36904-2018) ---------------------------------------------------


@dataclass(frozen=True)
class LicenceIdentifier:
    """A licence identifier. Construction validates every part, so instances are valid."""

    type_code: str
    issuer_code: str
    serial: str
    version: int

    def __post_init__(self) -> None:
        type_code = part(self.type_code, "type code", USCC_ALPHABET, "a USCC character", 21)
        _check_uscc(type_code[:18], "type code (defining authority's USCC, positions 1-18)")
        part(type_code[18:], "type code sequence (positions 19-21)", DIGITS, "a digit", 3)
        _check_uscc(self.issuer_code, "issuer code")
        serial = screen(self.serial, "serial", ALNUM36, "0-9 or A-Z")
        if not 1 <= len(serial) <= 32:
            msg = f"serial must be 1-32 chars, got {len(serial)}"
            raise IdentifierError(msg, code="bad_length")
        # type() rather than isinstance(): True is an int, and "version True" is a bug.
        if type(self.version) is not int or not 1 <= self.version <= 999:
            msg = f"version must be an integer 1-999 (001-999), got {self.version!r}"
            raise IdentifierError(msg, code="bad_version")

    @property
    def body(self) -> str:
        """What the check covers: type + issuer + serial + version, no root, no dots."""
        return f"{self.type_code}{self.issuer_code}{self.serial}{self.version:03d}"

    @functools.cached_property
    def check(self) -> str:
        """The MOD 37,36 check character (computed once: identifiers are immutable)."""
        return mod37_36_check(self.body)

    def __str__(self) -> str:
        return (
            f"{LICENCE_ROOT}.{self.type_code}.{self.issuer_code}.{self.serial}"
            f".{self.version:03d}.{self.check}"
        )

    def with_version(self, version: int) -> LicenceIdentifier:
        """The same licence (type, issuer, serial) at another version."""
        return dataclasses.replace(self, version=version)

    def next_version(self) -> LicenceIdentifier:
        """The identifier after a change, correction or renewal; raises past 999."""
        return self.with_version(self.version + 1)


def make_licence_identifier(
    type_code: str, issuer_code: str, serial: str, version: int = 1
) -> LicenceIdentifier:
    """Validate the parts and return the identifier; its check character is computed."""
    return LicenceIdentifier(type_code, issuer_code, serial, version)


def parse_licence_identifier(text: str) -> LicenceIdentifier:
    """Parse the full dotted form; the IdentifierError raised names the bad part."""
    what = "licence identifier"
    screen(text, what, ALNUM36 + ".", "0-9, A-Z or '.'")
    rest = text[len(LICENCE_ROOT) :]
    if not text.startswith(LICENCE_ROOT) or rest[:1] not in ("", "."):
        msg = f"{what} must start with {LICENCE_ROOT + '.'!r}, got {text[:16]!r}"
        raise IdentifierError(msg, code="bad_root")
    parts = rest[1:].split(".") if rest else []
    if len(parts) != 5:
        msg = f"{what} needs 5 parts after the root (type.issuer.serial.version.check)"
        msg += f", got {len(parts)}"
        raise IdentifierError(msg, code="bad_part")
    type_code, issuer_code, serial, version_text, check = parts
    part(version_text, "version", DIGITS, "a digit", 3)
    if version_text == "000":
        raise IdentifierError("version must be 001-999, got '000'", code="bad_version")
    ident = LicenceIdentifier(type_code, issuer_code, serial, int(version_text))
    part(check, "check", ALNUM36, "0-9 or A-Z", 1)
    if check != ident.check:
        msg = (
            f"{what}: check character is {check!r} but the body gives {ident.check!r}; "
            "a character was mistyped or two were swapped"
        )
        raise IdentifierError(msg, code="bad_check_char")
    return ident


# --- Shape detection and holder codes -------------------------------------------------------


def classify(value: str) -> IdentifierKind:
    """Say which kind of identifier ``value`` looks like, by shape only (not validity)."""
    need_str(value, "value")
    if "." in value or value.startswith(LICENCE_ROOT):
        return "licence_identifier"
    shape = unicodedata.normalize("NFKC", value)  # so full-width input is routed, then named
    if len(shape) != 18:
        msg = f"{len(shape)} chars: neither a dotted licence identifier nor an 18-char code"
        raise IdentifierError(msg, code="bad_length")
    # Case-blind on the last char so a lower-case x is reported as such by the validator.
    if _CID_SHAPE.fullmatch(shape[:17]) and shape[17] in "0123456789Xx":
        return "citizen_id"
    return "uscc"


def check_value(value: str) -> None:
    """Validate ``value`` as whatever :func:`classify` says it is: return None or raise."""
    kind = classify(value)
    if kind == "licence_identifier":
        parse_licence_identifier(value)
    elif kind == "citizen_id":
        validate_citizen_id(value)
    else:
        validate_uscc(value)


def validate_holder_code(code_type: str, code: str) -> str:
    """Return ``code`` if valid for the GB/T 36903 holder ``code_type``, else raise."""
    if code_type not in HOLDER_CODE_TYPES:
        known = ", ".join(HOLDER_CODE_TYPES)
        msg = f"unknown holder code type {code_type!r}; expected one of {known}"
        raise IdentifierError(msg, code="bad_code_type")
    if code_type == "001":
        return validate_uscc(code)
    if code_type == "111":
        return validate_citizen_id(code)
    code = need_str(code, "holder code")
    if not 1 <= len(code) <= 64:
        msg = f"holder code must be 1-64 chars, got {len(code)}"
        raise IdentifierError(msg, code="bad_length")
    # Other documents have no check to verify; refuse only what cannot be a document number.
    if not code.isprintable() or code != code.strip():
        msg = "holder code must be printable, with no leading or trailing whitespace"
        raise IdentifierError(msg, code="bad_charset")
    # One holder, one code: a full-width or other compatibility form would take a second
    # holder slot for the same document, so only the NFKC form is accepted.
    if unicodedata.normalize("NFKC", code) != code:
        msg = (f"holder code {code!r} has full-width or compatibility characters; write it"
               f" as {unicodedata.normalize('NFKC', code)!r}")
        raise IdentifierError(msg, code="bad_charset")
    # Nor a Greek or Cyrillic letter drawn like a Latin one (Cyrillic Е for E): the same
    # passport would take a second slot under a number that reads the same.
    latin = latin_twins(code)
    if latin != code:
        msg = (f"holder code {code!r} has Greek or Cyrillic letters drawn like Latin ones;"
               f" write it as {latin!r}")
        raise IdentifierError(msg, code="bad_charset")
    return code
