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


def face_labels(definition: Mapping[str, Any]) -> dict[str, str]:
    """Face field → the label its face prints (only the fields that have one)."""
    return {spec["name"]: spec["label"] for spec in labelled(definition)["face_fields"]
            if spec.get("label")}
