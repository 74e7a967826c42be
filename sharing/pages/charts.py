"""Horizontal bar charts as server-side SVG: presentation attributes only (no inline style
or script, which the content security policy forbids), a title and a description for
screen readers, and the figure printed beside each bar."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, BAR, GAP, LABEL = 420, 24, 10, 150  # viewBox units: about CSS px on a phone


def bar_chart(title: str, bars: list[tuple[str, float | None]], chart_id: str) -> Markup:
    """``bars``: (label, rate in 0..1, or None where the denominator was never reported)."""
    height = max(1, len(bars)) * (BAR + GAP) + GAP
    span = WIDTH - LABEL - 80
    top = max([1.0, *(v for _, v in bars if v is not None)])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}"'
             f' viewBox="0 0 {WIDTH} {height}" role="img"'
             f' aria-labelledby="{escape(chart_id)}-t">'
             f'<title id="{escape(chart_id)}-t">{escape(title)}</title>']
    for i, (label, value) in enumerate(bars):
        y = GAP + i * (BAR + GAP)
        parts.append(f'<text x="{LABEL - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end"'
                     f' font-size="13" fill="#1f2328">{escape(label)}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL}" y="{y + BAR * 0.7:.1f}" font-size="13"'
                         ' fill="#57606a">未报送</text>')
            continue
        w = span * value / top
        parts.append(f'<rect class="bar" x="{LABEL}" y="{y}" width="{w:.1f}" height="{BAR}"'
                     ' fill="#0b5cad"/>'
                     f'<text x="{LABEL + w + 6:.1f}" y="{y + BAR * 0.7:.1f}" font-size="13"'
                     f' fill="#1f2328">{value * 100:.1f}%</text>')
    if not bars:
        parts.append(f'<text x="{LABEL}" y="{GAP + BAR * 0.7}" font-size="13"'
                     ' fill="#57606a">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
