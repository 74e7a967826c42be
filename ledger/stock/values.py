"""Cell values from legacy files: text, dates and codes, each repaired only where safe.

Every function returns the clean value and, when it changed something a person should
know about, the reason; or raises :class:`ValueProblem` with a finding code and message.
The rules are written down in docs/import.md ("Dates", "Codes").
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from ledger.domain.check_digits import citizen_id_check_char
from ledger.domain.identifiers import IdentifierError, validate_citizen_id, validate_holder_code
from ledger.domain.text import TextPolicyError, check_text, quote

# Excel's day 0 is 1899-12-30 (it believes 1900 was a leap year; serials from 61 on agree).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Only five-digit day numbers (1927-05-18 .. 2173-10-14) are read as dates: a short number
# in a date column is more likely a typing slip than a date in the 1900s.
_SERIAL_RANGE = (10000, 99999)
_SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+")
_LOCAL_DATE = (
    re.compile(r"(\d{4})[./\-](\d{1,2})[./\-](\d{1,2})"),  # 2019.3.5, 2019/3/5, 2019-3-5
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),  # 2019年3月5日
    re.compile(r"(\d{4})(\d{2})(\d{2})"),  # 20190305
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ValueProblem(Exception):
    """A value that cannot be used: ``code`` names the finding, ``message`` says why."""

    code: str
    message: str


def comparison_key(text: str) -> str:
    """The form two values are compared in to find duplicates: NFKC (全角 → 半角, so
    （ and ( are one), without any white space, upper case.

    One small function on purpose: a shared text policy module can replace it.
    """
    key = text
    # Upper-casing or dropping a space can undo the normal form (a combining mark meets a
    # new base), so fold until nothing changes: once for nearly all text, rarely twice.
    for _ in range(4):
        if not unicodedata.is_normalized("NFKC", key):  # a quick C check
            key = unicodedata.normalize("NFKC", key)
        folded = _WHITESPACE.sub("", key).upper()
        if folded == key:
            break
        key = folded
    return key


def cell_text(value: object) -> str:
    """A raw cell (text, number, date) as trimmed text; whole numbers lose their ``.0``."""
    if type(value) is str:  # nearly every cell: first, and cheap
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def check_length(text: str, most: int) -> None:
    """Raise if ``text`` is longer than a command takes (``most`` characters): the message
    quotes only its start, so a huge cell is never echoed back."""
    if len(text) > most:
        raise ValueProblem("too_long", f"{quote(text, 32)} is too long: at most {most}"
                           " characters")


def check_policy(text: str, kind: str) -> None:
    """Raise if ``text`` breaks the ledger's text policy for ``kind`` (ledger.domain.text):
    the ledger would refuse it (a control character such as NUL, an invisible one …)."""
    try:
        check_text(text, kind)
    except TextPolicyError as exc:
        raise ValueProblem("bad_value", f"{quote(text)}: {exc}") from None


def check_damaged_number(text: str) -> None:
    """Raise if ``text`` is a number Excel showed in scientific notation (digits are lost)."""
    if ("E" in text or "e" in text) and _SCIENTIFIC.fullmatch(text.strip()):
        raise ValueProblem("damaged_number", f"{text!r} is a number in scientific notation:"
                           " the spreadsheet rounded it and the lost digits cannot be"
                           " recovered; type the value again as text")


def parse_date(value: object) -> tuple[str, str | None]:
    """A date cell as ``YYYY-MM-DD`` and, if it was not written so, the rule applied."""
    if isinstance(value, dt.datetime | dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        return day.isoformat(), None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(float(value), str(value))
    text = unicodedata.normalize("NFKC", cell_text(value))
    if _ISO.fullmatch(text):
        return _real(text, *text.split("-")), None
    if text.isdigit() and len(text) == 5:
        return _serial(float(text), text)
    for pattern in _LOCAL_DATE:
        match = pattern.fullmatch(text)
        if match:
            iso = _real(text, *match.groups())
            return iso, f"date {text!r} read as {iso} (year, month, day)"
    raise ValueProblem("bad_date", f"{text!r} is not a date; write YYYY-MM-DD (also read:"
                       " 2019.3.5, 2019/3/5, 2019年3月5日, 20190305, Excel date cells)")


def _serial(number: float, text: str) -> tuple[str, str]:
    if not number.is_integer() or not _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        raise ValueProblem("bad_date", f"{text!r} is not a date (nor a whole five-digit Excel"
                           " day number); write YYYY-MM-DD")
    iso = (_EXCEL_EPOCH + dt.timedelta(days=int(number))).isoformat()
    return iso, f"Excel day number {int(number)} read as {iso}"


def _real(text: str, year: str, month: str, day: str) -> str:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise ValueProblem("bad_date", f"{text!r} is not a real calendar date") from None


def holder_code(code_type: str, raw: str) -> tuple[str, list[str]]:
    """A holder code checked for its type; returns it and what was normalised.

    Full-width letters and digits and a lower-case ``x`` are repaired (the characters are
    the same to the eye); a 17-digit citizen ID that lost its ``X`` is not (it is an error
    to be fixed from the source, since a missing digit looks the same).
    """
    check_damaged_number(raw)
    notes: list[str] = []
    code = raw
    folded = unicodedata.normalize("NFKC", raw).replace(" ", "")
    if folded != raw:
        notes.append(f"{raw!r} written with full-width characters or spaces; read as {folded!r}")
        code = folded
    if code_type == "111" and code.endswith("x"):
        notes.append(f"lower-case x in {code!r} read as X")
        code = code[:-1] + "X"
    if code_type == "111" and len(code) == 17 and code.isdigit():
        _lost_x(code)
    try:
        validate_holder_code(code_type, code)
    except IdentifierError as exc:
        raise ValueProblem("bad_code", exc.message) from None
    return code, notes


def _lost_x(code: str) -> None:
    if citizen_id_check_char(code) == "X":
        try:
            validate_citizen_id(code + "X")
        except IdentifierError:
            pass
        else:
            raise ValueProblem("citizen_id_lost_x", f"citizen ID {code!r} has 17 digits; with"
                               f" the X it lost it is {code + 'X'!r}: check and write it as"
                               " text")
    raise ValueProblem("bad_code", f"citizen ID {code!r} has 17 characters, 18 expected")
