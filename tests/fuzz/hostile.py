"""Hostile JSON lines of every class the wire format must survive, as hypothesis strategies.

Each line starts from a real envelope and breaks it one way: bytes that are not JSON, JSON
that is not an envelope, invisible or look-alike text, huge values, deep nesting, wrong
types, out-of-range dates and instants, unknown types and fields, lone surrogates, records
over the size limit, and signatures that do not cover what is sent. None of them may be
accepted, and none may get anything but one answer.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson
from hypothesis import strategies as st

from commands.messages import limits

INVISIBLE = ["\x00", "\x1b", "\x7f", "\u200b", "\u200d", "\u202e", "\u2066", "\u2069",
             "\ufeff", "\u00ad", "\U000e0001", "\u3164", "\ufe0f", "\u2028", "\ue000"]
LOOK_ALIKE = ["\u00a0", "\u3000", "\u0301", "\u0663", "\u06f3", "\u0967"]
TEXT_PATHS = [("command_id",), ("type",), ("actor",), ("key_id",), ("issued_at",),
              ("payload", "licence_number"), ("payload", "serial"), ("payload", "case_number"),
              ("payload", "matter_code"), ("payload", "area_code"), ("payload", "issue_date"),
              ("payload", "holders", 0, "name"), ("payload", "holders", 0, "code"),
              ("payload", "face", "company_name")]
NESTABLE = [("payload", "face"), ("payload", "holders"), ("type",), ("payload",),
            ("payload", "face", "company_name")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                   max_size=4),
    max_leaves=12,
)


def _set(envelope: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copy = orjson.loads(orjson.dumps(envelope))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def _get(envelope: dict[str, Any], path: tuple[Any, ...]) -> Any:
    target: Any = envelope
    for step in path:
        target = target[step]
    return target


def _line(envelope: Any) -> bytes:
    # json, not orjson: hostile values include integers past 64 bits.
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


KINDS = ("bytes", "not_envelope", "invisible", "look_alike", "huge", "deep", "wrong_type",
         "dates", "instants", "unknown", "surrogate", "truncated", "forged", "numbers",
         "too_many")
"""Every class of hostile line; a test that draws few lines names the classes it wants, so
that each is tried (a single generated example draws its simplest choices: one class)."""


@st.composite
def hostile_line(draw: st.DrawFn, envelope: dict[str, Any], kind: str | None = None) -> bytes:
    """One hostile line derived from the signed ``envelope``, of class ``kind`` (drawn
    from :data:`KINDS` when not given)."""
    if kind is None:
        kind = draw(st.sampled_from(KINDS))
    assert kind in KINDS, kind
    if kind == "bytes":
        raw = draw(st.binary(min_size=1, max_size=200)).replace(b"\n", b" ")
        return raw if raw.strip() else b"\x00"
    if kind == "not_envelope":
        return _line(draw(json_values)) or b"null"
    if kind in ("invisible", "look_alike"):
        path = draw(st.sampled_from(TEXT_PATHS))
        original = str(_get(envelope, path))
        at = draw(st.integers(min_value=0, max_value=len(original)))
        ch = draw(st.sampled_from(INVISIBLE if kind == "invisible" else LOOK_ALIKE))
        if ch == "\u0301" and path[-1] in ("name", "company_name"):
            ch = "\u0663"  # a combining mark is fair in names and free text once precomposed
        return _line(_set(envelope, path, original[:at] + ch + original[at:]))
    if kind == "huge":
        path = draw(st.sampled_from(TEXT_PATHS))
        size = draw(st.sampled_from([limits.MAX_TEXT + 1, 100_000, limits.MAX_RECORD_BYTES]))
        return _line(_set(envelope, path, draw(st.sampled_from("x汉")) * size))
    if kind == "deep":
        depth = draw(st.integers(min_value=limits.MAX_DEPTH + 1, max_value=3000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        marker = "DEEP_MARKER_1f7"
        text = _line(_set(envelope, draw(st.sampled_from(NESTABLE)), marker)).decode()
        return text.replace(f'"{marker}"', opener * depth + "1" + closer * depth).encode()
    if kind == "wrong_type":
        path = draw(st.sampled_from([*TEXT_PATHS, ("payload", "holders"), ("payload", "face"),
                                     ("payload",)]))
        value = draw(json_values.filter(lambda v: not isinstance(v, str)))
        return _line(_set(envelope, path, value))
    if kind == "dates":
        field = draw(st.sampled_from(["issue_date", "valid_from", "valid_until"]))
        value = draw(st.sampled_from(["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01",
                                      "2026-02-30", "２０２６-01-01", "٢٠٢٦-01-01", "2026-1-1"]))
        return _line(_set(envelope, ("payload", field), value))
    if kind == "instants":
        value = draw(st.sampled_from([
            "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "1969-12-31T23:59:59Z",
            "2026-11-27T08:00:00+23:59", "2026-11-27T08:00:00", "20261127T080000Z",
            "2026-11-27T25:00:00Z"]))
        return _line(_set(envelope, ("issued_at",), value))
    if kind == "unknown":
        name = draw(st.text(min_size=1, max_size=40))
        if draw(st.booleans()):
            return _line(_set(envelope, ("type",), name))
        return _line(_set(envelope, ("payload", name + "\u200b"), 1))
    if kind == "surrogate":
        path = draw(st.sampled_from(TEXT_PATHS))
        text = _line(_set(envelope, path, "SURROGATE_MARKER")).decode()
        return text.replace("SURROGATE_MARKER", draw(st.sampled_from(
            ["\\ud800", "\\udfff", "a\\ud83d", "\\u0000"]))).encode()
    if kind == "truncated":
        line = _line(envelope)
        return line[:draw(st.integers(min_value=1, max_value=len(line) - 1))]
    if kind == "numbers":
        value = draw(st.sampled_from([-1, 2**53, 2**64, -(2**63) - 1, 1e300, 0.5, True]))
        return _line(_set(envelope, ("payload", "face", "company_name"), value))
    if kind == "too_many":
        holders = _get(envelope, ("payload", "holders")) * draw(
            st.sampled_from([limits.MAX_HOLDERS + 1, 10_000]))
        return _line(_set(envelope, ("payload", "holders"), holders))
    # forged: the signature no longer covers what is sent
    signature = bytearray(base64.b64decode(envelope["signature"]))
    signature[draw(st.integers(min_value=0, max_value=len(signature) - 1))] ^= 1
    forged = _set(envelope, ("signature",), base64.b64encode(bytes(signature)).decode())
    if draw(st.booleans()):
        forged = _set(envelope, ("payload", "case_number"), "CASE-FORGED")
    return _line(forged)
