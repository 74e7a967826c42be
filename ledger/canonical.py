"""Canonical bytes: the only input to hashing and signing.

The canonical form is JSON with object keys sorted by code point, no insignificant
white space, UTF-8 without escaping non-ASCII, and no floating-point numbers. For the
values the ledger admits (strings, integers, booleans, null, arrays, objects with ASCII
keys) it coincides with RFC 8785 (JCS), so any language can reproduce it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS


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


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant that carries a zone (``Z`` or an offset)."""
    if not isinstance(text, str) or "T" not in text:
        raise ValueError(f"expected an ISO 8601 instant like 2026-01-31T08:00:00Z, got {text!r}")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"instant {text!r} has no time zone; add Z or an offset such as +08:00")
    return moment.astimezone(UTC)


def parse_date(text: str) -> date:
    """Parse a calendar date written ``YYYY-MM-DD``."""
    if not isinstance(text, str) or len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"expected a date written YYYY-MM-DD, got {text!r}")
    return date.fromisoformat(text)
