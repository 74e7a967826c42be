"""The labels a face template prints for well-known field names.

A catalogue entry names its face fields in ASCII (``company_name``), the keys commands
carry; the face a holder sees says 名称. A field spec with its own ``label`` keeps it; a
field this vocabulary does not know is printed under its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STANDARD_LABELS = {
    "company_name": "名称", "uscc": "统一社会信用代码", "entity_type": "类型",
    "legal_representative": "法定代表人", "registered_capital": "注册资本",
    "established": "成立日期", "address": "住所", "business_scope": "经营范围",
    "operator_name": "经营者名称", "premises": "经营场所", "main_business": "主体业态",
    "practice_category": "执业类别", "practice_site": "执业地点", "practice_scope": "执业范围",
    "vehicle_plate": "车辆号牌", "vehicle_type": "车辆类型",
}


def labelled(definition: Mapping[str, Any]) -> dict[str, Any]:
    """``definition`` with a label on every face field this vocabulary knows."""
    fields = [spec if spec.get("label") or spec["name"] not in STANDARD_LABELS
              else {**spec, "label": STANDARD_LABELS[spec["name"]]}
              for spec in definition["face_fields"]]
    return {**definition, "face_fields": fields}


def face_labels(face: Mapping[str, Any], definition: Mapping[str, Any] | None,
                ) -> list[tuple[str, str | None]]:
    """The keys of ``face`` in the catalogue's order, each with the label the rendered face
    prints (``None`` for a key the definition and this vocabulary do not label); keys the
    definition does not list come last, sorted."""
    specs = labelled(definition)["face_fields"] if definition else []
    labels = {spec["name"]: spec.get("label") for spec in specs}
    order = [spec["name"] for spec in specs if spec["name"] in face]
    order += sorted(key for key in face if key not in labels)
    return [(key, labels.get(key) or STANDARD_LABELS.get(key)) for key in order]


def printed_labels(definition: Mapping[str, Any]) -> dict[str, str]:
    """Face field → the label its face prints (only the fields that have one)."""
    return {spec["name"]: spec["label"] for spec in labelled(definition)["face_fields"]
            if spec.get("label")}
