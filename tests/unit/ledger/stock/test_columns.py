"""Which column holds which field: mapping files checked, header rows found, two-row
headers read (ledger/stock/columns.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.catalogue import CatalogueEntry
from ledger.stock.columns import MappingError, check_mapping, locate, targets_of
from ledger.stock.values import comparison_key

ENTRY = CatalogueEntry("T", 1, {"face_fields": [{"name": "capital"}, {"name": "scope"}]})


def test_fields_name_themselves_by_key_and_by_standard_chinese_label() -> None:
    known = targets_of(ENTRY)
    key = comparison_key
    assert known[key("licence_number")] == known[key("证照编号")] == "licence_number"
    assert known[key("统一社会信用代码")] == "holder_code" and known[key("capital")] == "capital"
    assert known[key("有效期至")] == "valid_until"


def test_face_labels_name_their_fields_but_never_a_standard_header() -> None:
    known = targets_of(ENTRY, {"capital": "注册资本", "scope": "统一社会信用代码"})
    assert known[comparison_key("注册资本")] == "capital"
    assert known[comparison_key("统一社会信用代码")] == "holder_code"
    top = [["证照编号", "持证主体", "注册资本"], ["No.1", "某公司", "100万"]]
    assert locate(ENTRY, top, {}, {"capital": "注册资本"}).index["capital"] == 2


def test_a_mapping_names_columns_and_defaults() -> None:
    columns, defaults = check_mapping(ENTRY, {"columns": {"注册资本": "capital"},
                                              "defaults": {"area_code": "320581"}}, "m.toml")
    assert (columns, defaults) == ({"注册资本": "capital"}, {"area_code": "320581"})
    assert check_mapping(ENTRY, {}, "m.toml") == ({}, {})


@pytest.mark.parametrize(("raw", "fragment"), [
    ({"colums": {}}, "m.toml: unknown table(s) colums"),
    ({"columns": ["a"]}, "[columns] must be a table"),
    ({"columns": {"x": 1}}, "[columns] 'x' must be text, got int"),
    ({"columns": {"x": "colour"}}, "'colour' is not a field of licence type T"),
    ({"defaults": {"colour": "red"}}, "[defaults] 'colour': 'colour' is not a field"),
    ({"defaults": {"area_code": 320581}}, "must be text"),
    ({"defaults": {"matter_code": "M-1"}}, "'matter_code' is not a field"),  # always a conversion
    ({"columns": {"名称": "capital", "名称 ": "scope"}}, "'名称' and '名称 ' are the same header"),
])
def test_a_bad_mapping_is_refused_naming_the_entry(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(MappingError) as info:
        check_mapping(ENTRY, raw, "m.toml")
    assert fragment in info.value.message and info.value.code == "bad_mapping"


def test_the_header_is_the_row_naming_most_fields() -> None:
    top = [["某市证照台账", "", ""], ["", "", ""],
           ["证照编号", "持证主体", "备注"], ["No.1", "某公司", ""]]
    cols = locate(ENTRY, top, {})
    assert cols.header_row == 3
    assert dict(cols.index) == {"licence_number": 0, "holder_name": 1}
    assert cols.unmapped == ("备注",)


def test_a_two_row_header_is_read_through_its_parent() -> None:
    # A merged cell: 证照编号 spans both rows, 持证主体 is the parent of 名称 and 代码.
    top = [["证照编号", "持证主体", "持证主体"], ["", "名称", "代码"]]
    cols = locate(ENTRY, top, {})
    assert cols.header_row == 2
    assert dict(cols.index) == {"licence_number": 0, "holder_name": 1, "holder_code": 2}
    assert cols.labels["holder_code"] == "持证主体代码"


def test_mapped_headers_count_and_width_and_spaces_are_ignored() -> None:
    cols = locate(ENTRY, [["证照 编号", "注册资本", "ＣＡＰＩＴＡＬ"]], {"注册资本": "capital"})
    assert dict(cols.index) == {"licence_number": 0, "capital": 1}  # the first column wins
    assert cols.unmapped == ("ＣＡＰＩＴＡＬ",)


@pytest.mark.parametrize("top", [[], [["证照编号", "备注"]], [["a", "b"], ["c", "d"]]])
def test_without_a_row_naming_two_fields_a_mapping_is_asked_for(top: list[list[str]]) -> None:
    with pytest.raises(MappingError, match="give a --mapping file"):
        locate(ENTRY, top, {})
