"""Word-boundary wrapping of face text (licence_files/layout.py)."""

from __future__ import annotations

import pytest

from licence_files.layout import display_width, wrap


@pytest.mark.parametrize("text", [
    "legal representative of the company", "hello wonderful world of licences and more",
    "一般项目：纺织品、针织品及原料销售；服装服饰批发（除依法须经批准的项目外）",
    "Room 1203, 88 Yushan Road, 常熟市 Jiangsu 215500"])
def test_wrap_breaks_between_words_only(text: str) -> None:
    lines = wrap(text, 4.0, 40.0)
    assert all(display_width(line, 4.0) <= 40.0 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    words = {w for w in text.split() if w.isascii()}
    pieces = {p for line in lines for p in line.split()}
    assert {w for w in words if display_width(w, 4.0) <= 40.0} <= pieces  # none cut
    assert not any(line[:1] in "，。；：、）》" for line in lines)  # no line opens with ，
    assert not any(line[-1:] in "（《" for line in lines)  # nor ends with （


def test_a_word_wider_than_the_line_is_cut_and_newlines_are_kept() -> None:
    lines = wrap("x" * 50, 4.0, 40.0)
    assert len(lines) > 1 and all(display_width(line, 4.0) <= 40.0 for line in lines)
    assert wrap("a\nb", 4.0, 40.0) == ["a", "b"] and wrap("", 4.0, 40.0) == [""]
