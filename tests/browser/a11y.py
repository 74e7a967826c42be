"""Accessibility basics checked in the browser: labelled controls, one h1 and headings
that do not skip a level, and the contrast of status badges computed from the CSS."""

from __future__ import annotations

import itertools
import re

from playwright.sync_api import Page


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> float:
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    found = re.match(r"rgba?\((\d+), (\d+), (\d+)", css)
    assert found, css
    r, g, b = (int(x) for x in found.groups())
    return r, g, b


def check_page(page: Page) -> None:
    levels = [int(tag[1]) for tag in page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "els => els.map(e => e.tagName)")]
    assert levels.count(1) == 1 and levels[0] == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"a heading skips a level: {levels}"
    unlabelled = page.eval_on_selector_all(
        "input:not([type=hidden]), select, textarea",
        "els => els.filter(e => !(e.labels && e.labels.length) && !e.closest('label')"
        " && !e.getAttribute('aria-label')).map(e => e.name)")
    assert unlabelled == [], f"controls without a label: {unlabelled}"
    for badge in page.query_selector_all(".badge"):
        fg, bg = page.evaluate("e => { const s = getComputedStyle(e);"
                               " return [s.color, s.backgroundColor]; }", badge)
        ratio = contrast(rgb(fg), rgb(bg))
        assert ratio >= 4.5, f"badge {badge.inner_text()!r}: contrast {ratio:.2f} < 4.5"
