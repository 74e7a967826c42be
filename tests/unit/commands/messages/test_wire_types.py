"""Each wire type accepts its kind of value within its bounds and refuses the rest
(commands/messages/wire_types.py, decoded by commands/messages/fields.py)."""

from __future__ import annotations

from typing import Any

import pytest

from commands.messages import limits, wire_types
from commands.messages.fields import decode_value
from ledger.errors import InvalidCommandError

GOOD: list[tuple[str, Any]] = [
    ("Code", "A-1"), ("Code", "x" * limits.MAX_CODE), ("Identifier", "1.2.156.3005.2.T.I.S.001.X"),
    ("Number", "粤字第１号"), ("Name", "张三"), ("FreeText", "第一行\n第二行\t制表"),
    ("Date", "2026-02-28"), ("AreaCode", "320581"), ("Period", "2026-12"),
    ("Count", 0), ("Count", limits.MAX_INTEGER), ("Positive", 1),
    ("Codes", []), ("Face", {"name": "某公司", "capital": 100, "note": None}),
]
BAD: list[tuple[str, Any]] = [
    ("Code", "A 1"), ("Code", "x" * (limits.MAX_CODE + 1)), ("Code", ""), ("Code", 1),
    ("Identifier", "x" * (limits.MAX_IDENTIFIER + 1)),
    ("Name", "x" * (limits.MAX_NAME + 1)), ("Name", "a\u200bb"),  # an invisible character
    ("FreeText", "a\rb"), ("Date", "2026-02-30"), ("Date", "2026-2-28"), ("Date", "２０２６-02-28"),
    ("AreaCode", "32058"), ("AreaCode", "3205811"), ("AreaCode", "３２０５８１"),
    ("Period", "2026-13"), ("Period", "2026-1"), ("Count", -1), ("Count", limits.MAX_INTEGER + 1),
    ("Count", True), ("Positive", 0), ("Codes", ["a"] * (limits.MAX_ITEMS + 1)),
    ("Face", {"a": 1.5}), ("Face", {"a": ["x"]}), ("Face", {"a": "x" * (limits.MAX_FACE_TEXT + 1)}),
    ("Face", {f"k{i}": 1 for i in range(limits.MAX_FACE_FIELDS + 1)}),
]


@pytest.mark.parametrize(("name", "value"), GOOD)
def test_values_within_bounds_are_accepted_unchanged(name: str, value: Any) -> None:
    decoded = decode_value("v", getattr(wire_types, name), value)
    assert decoded == (tuple(value) if isinstance(value, list) else value)


@pytest.mark.parametrize(("name", "value"), BAD)
def test_values_outside_bounds_are_refused(name: str, value: Any) -> None:
    with pytest.raises(InvalidCommandError, match=r"^v"):
        decode_value("v", getattr(wire_types, name), value)
