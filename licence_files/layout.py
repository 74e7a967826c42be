"""The page layout of a face, in millimetres from the top-left corner (as OFD counts).

One layout feeds both renderers, so the PDF and the OFD of a licence show the same face.
Long values wrap by display width (a wide CJK character is one em, anything else is
counted generously at 0.6 em, so a wrapped line never overruns the column).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from licence_files.face import Face, FaceDoesNotFitError

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0  # A4
TITLE_SIZE, BODY_SIZE, SMALL_SIZE = 8.0, 4.0, 2.8
LABEL_X, VALUE_X, VALUE_WIDTH = 25.0, 62.0, 126.0  # labels: 8 CJK characters a line
FIRST_LINE, LINE_STEP, WRAP_STEP, LAST_LINE = 66.0, 8.5, 6.0, 212.0


@dataclass(frozen=True)
class TextRun:
    x: float
    y: float  # baseline
    size: float
    text: str
    centred: bool = False


@dataclass(frozen=True)
class Box:
    x: float
    y: float  # top edge
    width: float
    height: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    texts: tuple[TextRun, ...]
    frames: tuple[Box, ...]  # rectangles drawn as thin lines
    qr: Box
    annotation: Box  # left empty on the original; an annotated copy signs into it


QR_BOX = Box(150.0, 230.0, 40.0, 40.0)
ANNOTATION_BOX = Box(20.0, 230.0, 120.0, 45.0)


def display_width(text: str, size: float) -> float:
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in "WF")
    return size * (wide + 0.6 * (len(text) - wide))


def wrap(text: str, size: float, width: float) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` (hard breaks at newlines).

    Lines break between words, never inside one: a Chinese character is a word of its
    own, a run of Latin letters or digits is one word, and closing punctuation stays
    with what it closes (no line starts with ，or ）). Only a word wider than the whole
    line is cut."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in _words(paragraph):
            if line and display_width(line + word.rstrip(), size) > width:
                lines.append(line.rstrip())
                line = word.lstrip()
            else:
                line += word
            while display_width(line, size) > width and len(line) > 1:  # one huge word
                cut = max(1, _fit(line, size, width))
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


NO_LINE_START = set("，。；：、！？）》」』】〕,.;:!?)]}%")
NO_LINE_END = set("（《「『【〔([{")


def _words(text: str) -> list[str]:
    """Break opportunities: after a space, around a wide character; not before closing
    punctuation nor after opening punctuation."""
    words: list[str] = []
    for char in text:
        prev = words[-1][-1] if words else " "
        latin_run = not _wide(char) and not prev.isspace() and not _wide(prev)
        if words and (char in NO_LINE_START or prev in NO_LINE_END or latin_run):
            words[-1] += char
        else:
            words.append(char)
    return words


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _fit(text: str, size: float, width: float) -> int:
    n = 0
    while n < len(text) and display_width(text[:n + 1], size) <= width:
        n += 1
    return n


def lay_out(face: Face) -> Page:
    """Place the face on one A4 page; raise FaceDoesNotFitError if it overflows."""
    texts = [TextRun(PAGE_WIDTH / 2, 38.0, TITLE_SIZE, face.title, centred=True),
             TextRun(PAGE_WIDTH / 2, 47.0, SMALL_SIZE + 0.7, "电子证照", centred=True)]
    y = FIRST_LINE
    for line in face.lines:
        labels = wrap(line.label, BODY_SIZE, VALUE_X - LABEL_X - 2.0)
        parts = wrap(line.value, BODY_SIZE, VALUE_WIDTH)
        texts += [TextRun(LABEL_X, y + i * WRAP_STEP, BODY_SIZE, part)
                  for i, part in enumerate(labels)]
        rows = max(len(labels), len(parts))
        if y + WRAP_STEP * (rows - 1) > LAST_LINE:
            raise FaceDoesNotFitError(
                f"the face of {face.identifier} does not fit on one page of template"
                f" {face.template_id} v{face.template_version} (it overflows at"
                f" {line.label!r}); shorten the face data or revise the template")
        for i, part in enumerate(parts):
            texts.append(TextRun(VALUE_X, y + i * WRAP_STEP, BODY_SIZE, part))
        y += WRAP_STEP * (rows - 1) + LINE_STEP
    first, second = face.footer
    texts += [TextRun(20.0, 220.0, SMALL_SIZE + 0.2, first),
              TextRun(20.0, 225.5, SMALL_SIZE, second),
              TextRun(QR_BOX.x + QR_BOX.width / 2, 276.0, SMALL_SIZE, "扫码查询状态 · 截图无效",
                      centred=True)]
    frames = (Box(10.0, 10.0, PAGE_WIDTH - 20.0, PAGE_HEIGHT - 20.0),)
    return Page(PAGE_WIDTH, PAGE_HEIGHT, tuple(texts), frames, QR_BOX, ANNOTATION_BOX)
