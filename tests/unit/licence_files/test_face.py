"""The face, its layout and the font: what a file shows, and what it refuses to show."""

from __future__ import annotations

from typing import Any

import pytest

from commands.setting_sections import DEFAULT_FONT
from ledger.domain.licence import Licence
from licence_files.face import FaceDoesNotFitError, UnrenderableTextError, build_face, face_texts
from licence_files.fonts import load_font
from licence_files.layout import LAST_LINE, VALUE_X, display_width, lay_out, wrap

IDENT = "1.2.156.3005.2.11320581AY4CL12T22001.11320581H3BJ1XG69C.00700000000.001.Z"
DEFINITION: dict[str, Any] = {
    "name": "营业执照", "template": {"id": "tpl-营业执照", "version": 3},
    "face_fields": [{"name": "company_name"}, {"name": "business_scope", "label": "经营范围"}]}


def licence(**face: str) -> Licence:
    fields = {"licence_number": "营业（2026）0000001", "issue_date": "2026-01-02",
              "valid_from": "2026-01-02", "valid_until": None,
              "holders": ({"name": "常熟市示例企业有限公司", "code": "91320581C3E684P62J",
                           "code_type": "001"},), "face": face}
    return Licence("T", "I", "S", IDENT, 1, 1, "01", fields, None, (IDENT,), "01")


def test_the_face_shows_the_licence_and_records_its_template() -> None:
    face = build_face(licence(company_name="示例", business_scope="零售"), DEFINITION,
                      "常熟市市场监督管理局", "ab" * 16)
    shown = {line.label: line.value for line in face.lines}
    assert shown["证照编号"] == "营业（2026）0000001" and shown["经营范围"] == "零售"
    assert shown["有效期限"] == "2026-01-02 至 长期" and shown["company_name"] == "示例"
    assert shown["签发机关"] == "常熟市市场监督管理局"
    assert (face.template_id, face.template_version) == ("tpl-营业执照", 3)
    assert face.qr_payload == "LLV1:" + "ab" * 16  # the reference only, never the data
    assert IDENT in " ".join(t for _, t in face_texts(face))


def test_long_values_wrap_and_overflow_is_refused() -> None:
    assert all(display_width(line, 4.0) <= 100 for line in wrap("经营" * 80, 4.0, 100))
    page = lay_out(build_face(licence(business_scope="经营" * 100), DEFINITION, "x", "0" * 32))
    values = [t for t in page.texts if t.x == VALUE_X]
    assert len(values) > 8 and max(t.y for t in values) <= LAST_LINE
    with pytest.raises(FaceDoesNotFitError, match="does not fit"):
        lay_out(build_face(licence(business_scope="经营" * 400), DEFINITION, "x", "0" * 32))


def test_the_font_refuses_what_it_cannot_show() -> None:
    font = load_font(DEFAULT_FONT)
    assert font.missing("营业执照 ABC 〇（）") == []  # 〇 (U+3007) is in WenQuanYi Micro Hei
    assert font.missing("㐀记\t") == ["㐀", "\t"]  # CJK extension A, a control character
    with pytest.raises(UnrenderableTextError, match="持证主体: '㐀' \\(U\\+3400\\)"):
        font.check([("持证主体", "㐀记有限公司")])


def test_the_ofd_font_subset_maps_unicode() -> None:
    from io import BytesIO

    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    font = load_font(DEFAULT_FONT)
    subset = TTFont(BytesIO(font.subset("营业执照")))
    cmap = subset.getBestCmap()
    assert {ord(c) for c in "营业执照 "} <= set(cmap)
    assert len(subset.getGlyphOrder()) < 20  # the glyphs and their components
