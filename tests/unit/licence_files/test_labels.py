"""Face labels come from the template vocabulary (licence_files/labels.py)."""

from __future__ import annotations

from licence_files.labels import face_labels, labelled


def test_face_labels_come_from_the_template_vocabulary() -> None:
    definition = {"name": "营业执照", "face_fields": [
        {"name": "company_name"}, {"name": "uscc", "label": "代码"}, {"name": "odd_field"}]}
    fields = labelled(definition)["face_fields"]
    assert [f.get("label") for f in fields] == ["名称", "代码", None]
    assert "label" not in definition["face_fields"][0]  # the definition is not changed


def test_show_lists_the_face_in_catalogue_order_under_its_labels() -> None:
    definition = {"name": "营业执照", "face_fields": [
        {"name": "uscc", "label": "代码"}, {"name": "company_name"}, {"name": "odd_field"},
        {"name": "not_on_this_face"}]}
    face = {"company_name": "常熟某公司", "odd_field": "x", "uscc": "9132", "zz_extra": "y",
            "address": "常熟"}
    assert face_labels(face, definition) == [
        ("uscc", "代码"), ("company_name", "名称"), ("odd_field", None), ("address", "住所"),
        ("zz_extra", None)]
    assert face_labels(face, None) == [("address", "住所"), ("company_name", "名称"),
                                       ("odd_field", None), ("uscc", "统一社会信用代码"),
                                       ("zz_extra", None)]
