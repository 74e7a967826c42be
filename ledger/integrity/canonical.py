"""Canonical bytes: the only input to hashing and signing.

The canonical form is JSON with object keys sorted by code point, no insignificant
white space, UTF-8 without escaping non-ASCII, and no floating-point numbers. For the
values the ledger admits (strings, integers, booleans, null, arrays, objects with ASCII
keys) it coincides with RFC 8785 (JCS), so any language can reproduce it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import orjson

from ledger.domain.text import quote

_OPTIONS = orjson.OPT_SORT_KEYS

# The dates and instants the ledger holds ("Bounds" in docs/commands.md; every limit is
# listed in commands/messages/limits.py).
MIN_YEAR, MAX_YEAR = 1900, 2199
MIN_INSTANT_YEAR, MAX_INSTANT_YEAR = 1970, 2199
MAX_OFFSET_MINUTES = 14 * 60
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LOCAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?")
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})")
_INSTANT_EXAMPLE = "2026-01-31T08:00:00Z"


def canonical_bytes(value: Any) -> bytes:
    """Encode ``value`` canonically. Tuples encode as arrays."""
    return orjson.dumps(value, option=_OPTIONS)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def freeze(value: Any) -> Any:
    """Return an immutable-by-convention copy: lists become tuples, recursively.

    Domain events and states hold tuples, decoded JSON holds lists; freezing both
    the same way keeps a replayed state equal to the live one.
    """
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, Mapping):
        return {k: freeze(v) for k, v in value.items()}
    return value


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze` for output: tuples become lists, recursively."""
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    return value


def format_instant(moment: datetime) -> str:
    """UTC instant as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (fixed width, sorts as text)."""
    if moment.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str, years: tuple[int, int] | None = None) -> datetime:
    """Parse an ISO 8601 instant that carries a zone (``Z`` or an offset); raise ValueError.

    The form is ``YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`` in ASCII digits with an
    offset of at most ±14:00 (the widest in use), and no instant fails to convert to UTC:
    one past either end of the calendar is refused, not an OverflowError. ``years``
    bounds the year too: the wire gives (MIN_INSTANT_YEAR, MAX_INSTANT_YEAR); instants the
    ledger recorded itself (a certificate's validity, say) are read without it.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO 8601 instant like {_INSTANT_EXAMPLE}, got {text!r}")
    form = _INSTANT.fullmatch(text)
    if form is None:
        if _LOCAL.fullmatch(text):
            raise ValueError(f"instant {quote(text)} has no time zone; add Z or an offset"
                             " such as +08:00")
        raise ValueError(f"expected an ISO 8601 instant like {_INSTANT_EXAMPLE},"
                         f" got {quote(text)}")
    year, zone = int(text[:4]), form.group("zone")
    if years is not None and not years[0] <= year <= years[1]:
        raise ValueError(f"instant {quote(text)} is outside the years {years[0]}..{years[1]}")
    if zone != "Z" and (int(zone[1:3]) * 60 + int(zone[4:6]) > MAX_OFFSET_MINUTES
                        or int(zone[4:6]) > 59):
        raise ValueError(f"instant {quote(text)}: the offset is beyond ±14:00")
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if zone == "Z" else text)
        return moment.astimezone(UTC)
    except ValueError as exc:
        raise ValueError(f"instant {quote(text)} is not a real time: {exc}") from None
    except OverflowError:
        raise ValueError(f"instant {quote(text)} is past the end of the calendar in UTC"
                         ) from None


def parse_date(text: str) -> date:
    """Parse a calendar date written ``YYYY-MM-DD`` (ASCII digits), within range.

    Years run MIN_YEAR..MAX_YEAR: back far enough for birth dates on a licence's face,
    forward far enough for any validity, and never near the ends of the calendar.
    """
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        raise ValueError(f"expected a date written YYYY-MM-DD, got {quote(text)}")
    if not MIN_YEAR <= int(text[:4]) <= MAX_YEAR:
        raise ValueError(f"date {text} is outside the years {MIN_YEAR}..{MAX_YEAR}")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"date {text} is not a real date: {exc}") from None
