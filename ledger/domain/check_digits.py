"""Check characters of the identifiers on electronic licences, and the one error they raise.

The arithmetic of four standards, apart from the parsing of the identifiers that carry
them (:mod:`ledger.domain.identifiers`): ISO/IEC 7064 MOD 37,36 (GB/T 17710, the licence
identifier's check), GB 11714 (organisation code), GB 32100 (USCC) and GB 11643 (citizen
ID). Each function screens its input and returns one check character, or raises
:class:`IdentifierError` naming the character, its position and what was expected.
"""

from __future__ import annotations

import unicodedata

from ledger.errors import LedgerError

ALNUM36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # ISO/IEC 7064 MOD 37,36 alphabet
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, Z, S, V
DIGITS = "0123456789"
_ALNUM36_VALUE = {ch: i for i, ch in enumerate(ALNUM36)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_CID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class IdentifierError(LedgerError, ValueError):
    """A value is not a well-formed identifier.

    ``code`` is one of: bad_type, bad_case, bad_charset, bad_length, bad_root, bad_part,
    bad_version, bad_date, bad_check_char, bad_org_check, bad_code_type. ``message`` says
    what is wrong, where and what is expected; ``position`` is the 1-based character
    position within the named part, when a single character is to blame.
    """

    code = "bad_identifier"

    def __init__(self, message: str, *, code: str, position: int | None = None) -> None:
        super().__init__(message, code=code)
        self.position = position


def need_str(value: object, what: str) -> str:
    """Return ``value`` if it is a string, else raise (bad_type)."""
    if not isinstance(value, str):
        msg = f"{what} must be a string, not {type(value).__name__}"
        raise IdentifierError(msg, code="bad_type")
    return value


def screen(text: object, what: str, allowed: str, expected: str) -> str:
    """Reject non-strings and any character outside ``allowed``, saying which and where."""
    text = need_str(text, what)
    if not text.strip(allowed):  # every character allowed: the common case, in C
        return text
    for pos, ch in enumerate(text, 1):
        if ch in allowed:
            continue
        at, code = f"{what}: {ch!r} at position {pos}", "bad_charset"
        # Full-width characters look right on screen but are other code points: say so,
        # since the person reading the message cannot see the difference.
        if unicodedata.east_asian_width(ch) in ("F", "W"):
            msg = f"{at} is full-width; use half-width ASCII"
        elif "a" <= ch <= "z":
            msg, code = f"{at} is lower case; must be upper case", "bad_case"
        else:
            hint = " (I, O, Z, S and V are never used)" if ch in "IOZSV" else ""
            msg = f"{at} is not allowed; expected {expected}{hint}"
        raise IdentifierError(msg, code=code, position=pos)
    return text


def part(text: object, what: str, allowed: str, expected: str, length: int) -> str:
    """:func:`screen` ``text``, then require exactly ``length`` characters (bad_length)."""
    text = screen(text, what, allowed, expected)
    if len(text) != length:
        msg = f"{what} must be {length} chars long, got {len(text)}"
        raise IdentifierError(msg, code="bad_length")
    return text


def check_char(what: str, pos: int, found: str, expected: str) -> None:
    """Raise bad_check_char, naming position ``pos``, unless ``found`` is ``expected``."""
    if found != expected:
        msg = f"{what}: check character at position {pos} is {found!r}, expected {expected!r}"
        raise IdentifierError(msg, code="bad_check_char", position=pos)


# --- ISO/IEC 7064 MOD 37,36 hybrid (GB/T 17710) ---------------------------------------------


def mod37_36_check(body: str) -> str:
    """Return the ISO/IEC 7064 MOD 37,36 hybrid check character of ``body`` (0-9A-Z).

    It catches every single substitution but, unlike the pure MOD 37-2, not every adjacent
    swap: values v, v+1 (mod 36) swap unseen when the state before them is 18 - v (mod 36).
    """
    screen(body, "check body", ALNUM36, "0-9 or A-Z")
    p = 36
    for ch in body:
        t = (p + _ALNUM36_VALUE[ch]) % 36 or 36
        p = (2 * t) % 37
    return ALNUM36[(37 - p) % 36]


# --- USCC (GB 32100-2015) with its organisation code (GB 11714) ----------------------------


def org_code_check_char(first8: str) -> str:
    """Return the GB 11714 organisation-code check character of its 8 body characters."""
    part(first8, "organisation code body", USCC_ALPHABET, "a USCC character", 8)
    # GB 11714 values letters by their place in the Latin alphabet (A=10..Z=35), not by
    # their index in the USCC alphabet; int(ch, 36) gives exactly that.
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character of the first 17 characters of a USCC."""
    part(first17, "USCC body", USCC_ALPHABET, "a USCC character", 17)
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


# --- Citizen ID (GB 11643-1999) --------------------------------------------------------------


def citizen_id_check_char(first17: str) -> str:
    """Return the GB 11643 check character of the first 17 digits of a citizen ID."""
    part(first17, "citizen ID body", DIGITS, "a digit", 17)
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _CID_WEIGHTS, strict=True)) % 11]
