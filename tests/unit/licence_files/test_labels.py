"""Face labels come from the template vocabulary (licence_files/labels.py)."""

from __future__ import annotations

from licence_files.labels import labelled


def test_face_labels_come_from_the_template_vocabulary() -> None:
    definition = {"name": "营业执照", "face_fields": [
        {"name": "company_name"}, {"name": "uscc", "label": "代码"}, {"name": "odd_field"}]}
    fields = labelled(definition)["face_fields"]
    assert [f.get("label") for f in fields] == ["名称", "代码", None]
    assert "label" not in definition["face_fields"][0]  # the definition is not changed
