"""The face font: loaded once, checked for glyph coverage, measured and subset.

The font comes from the project's set-up (Debian ``fonts-wqy-microhei``). Text the font
cannot show, such as a rare character (生僻字) of CJK extension A like ``㐀``, is refused
before anything is signed: a file must never show an empty box where a name should be.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont as ToolsFont  # type: ignore[import-untyped]
from fontTools.ttLib.tables._c_m_a_p import (  # type: ignore[import-untyped]
    cmap_format_4,
    table__c_m_a_p,
)
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFError, TTFont  # type: ignore[import-untyped]

from ledger.errors import ConfigurationError
from licence_files.face import UnrenderableTextError

PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class FaceFont:
    """A TrueType font registered with reportlab under ``name``."""

    name: str
    family: str
    font: Any  # reportlab TTFont (untyped library)

    def missing(self, text: str) -> list[str]:
        """Characters of ``text`` this font has no visible glyph for."""
        face = self.font.face
        out = []
        for char in dict.fromkeys(text):
            glyph = face.charToGlyph.get(ord(char))
            visible = glyph is not None and (
                char.isspace() or face.glyphPos[glyph + 1] > face.glyphPos[glyph])
            if not visible or (char.isspace() and char not in " \u3000"):
                out.append(char)
        return out

    def check(self, texts: Iterable[tuple[str, str]]) -> None:
        """Raise UnrenderableTextError naming each field with characters it cannot show."""
        problems = []
        for where, text in texts:
            missing = self.missing(text)
            if missing:
                shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
                problems.append(f"{where}: {shown}")
        if problems:
            raise UnrenderableTextError(
                f"the font {self.family} cannot show {'; '.join(problems)}; the file would"
                " show blanks, so it is not rendered (correct the data or install a font"
                " that covers these characters and set LEDGER_FONT_FILE)")

    def advances_mm(self, text: str, size_mm: float) -> list[float]:
        """Advance width of each character, in mm, at font size ``size_mm``."""
        return [pdfmetrics.stringWidth(c, self.name, size_mm) for c in text]

    def subset(self, chars: Iterable[str]) -> bytes:
        """A TrueType subset with a Unicode cmap, for embedding in an OFD."""
        codes = sorted({ord(c) for c in chars} | {ord(" ")})
        data = self.font.face.makeSubset(codes)
        font = ToolsFont(io.BytesIO(data))
        # reportlab numbers the subset's characters 0..n-1; map them back to Unicode.
        by_index = font["cmap"].tables[0].cmap
        table = table__c_m_a_p()
        table.tableVersion, table.tables = 0, []
        for platform, encoding in ((0, 3), (3, 1)):
            sub = cmap_format_4(4)
            sub.platformID, sub.platEncID, sub.language = platform, encoding, 0
            sub.cmap = {code: by_index[i] for i, code in enumerate(codes)}
            table.tables.append(sub)
        font["cmap"] = table
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()


@lru_cache(maxsize=4)
def load_font(path: Path) -> FaceFont:
    """Load and register the font at ``path`` (first face of a collection)."""
    if not path.is_file():
        raise ConfigurationError(
            f"font file {path} not found: install Debian's fonts-wqy-microhei (scripts/setup.sh"
            " does) or point LEDGER_FONT_FILE at a TrueType font with CJK glyphs")
    name = f"face-{abs(hash(str(path))):x}"
    try:
        font = TTFont(name, str(path), subfontIndex=0)
    except (TTFError, OSError) as exc:
        raise ConfigurationError(f"font file {path} cannot be used: {exc}") from None
    pdfmetrics.registerFont(font)
    family = font.face.familyName
    return FaceFont(name, family.decode() if isinstance(family, bytes) else str(family), font)
