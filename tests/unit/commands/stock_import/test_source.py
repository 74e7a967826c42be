"""What open_source learns from one read of a CSV file (commands/stock_import/source.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.stock_import.source import open_source


@pytest.mark.parametrize("end", ["", "\n", "\r\n"])
def test_a_csv_file_knows_about_how_many_rows_follow_its_header(tmp_path: Path,
                                                                  end: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(("证照编号,持证主体名称\r\nA1,甲\r\nA2,乙\r\nA3,丙" + end).encode("gb18030"))
    source = open_source(path)
    assert source.encoding == "gb18030"
    assert source.rows_after(1) == 3 == len(list(source.rows(1)))
