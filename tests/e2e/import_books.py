"""Stock files with every classic defect, and a ledger in a folder to import them into.

Workbooks are real ``.xlsx`` files written by openpyxl: a merged title, a two-row header
with a merged parent (持证主体 over 名称 and 代码), Excel date cells and day numbers.
``EXPECTED`` lists, per spreadsheet row, the findings the import must report.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from commands.bootstrap import bootstrap
from commands.demo.scenario import Scenario
from commands.settings import load_settings
from ledger.domain.identifiers import make_citizen_id, make_uscc
from ledger.integrity.signing import save_signing_key
from tests.builders import SEED, apply_all, scenario_clock
from tests.conftest import FakeClock

FOOD = "002"  # 食品经营许可证: legal entities, several per holder, at most 5 years
DOCTOR = "003"  # 医师执业证书: natural persons, open-ended, a code field
TOP = ["证照编号", "持证主体", "持证主体", "发证日期", "有效期至", "纸质证照编号", "经营者名称",
       "经营场所", "备注"]
SUB = ["证照编号", "名称", "代码", "发证日期", "有效期至", "纸质证照编号", "经营者名称",
       "经营场所", "备注"]
MAPPING = '[columns]\n"经营者名称" = "operator_name"\n"经营场所" = "premises"\n'

USCC_A = make_uscc("91320581", "MA1XK2C3")
USCC_B = make_uscc("91320581", "MA2YL3D4")
USCC_C = make_uscc("91320581", "MA3YM4E5")
USCC_D = make_uscc("91320581", "MA4WN5F6")
FULL_WIDTH_C = USCC_C.translate({ord(c): ord(c) + 0xFEE0 for c in set(USCC_C)})  # ９１３…
BAD_CHECK = USCC_B[:17] + ("0" if USCC_B[17] != "0" else "1")
DAY = dt.date(2023, 3, 5)


def food_rows() -> list[list[Any]]:
    """Rows 4.. of the food workbook (title is row 1, header rows 2-3)."""
    def row(number: str, name: str, code: Any, issued: Any, until: Any = "2028-03-04",
            paper: str = "", premises: str = "常熟市虞山街道1号") -> list[Any]:
        return [number, name, code, issued, until, paper, name, premises, ""]
    return [
        row("食经(2023)0001", "常熟甲公司", USCC_A, DAY, dt.date(2028, 3, 4), "ZP0001"),  # 4
        row("食经(2023)0002", "常熟乙公司", USCC_B, 44990),  # 5: Excel day number → 2023-03-05
        row("食经(2023)0003", "常熟乙公司", USCC_B, "2023.3.5"),  # 6: local format
        row("食经(2023)0004", "常熟丙公司", FULL_WIDTH_C, "2023年3月5日"),  # 7: full-width code
        row("食经(2023)0005", "常熟丁公司", 9.13205e17, "2023-03-05"),  # 8: damaged
        row("食经（2023） 0001", "常熟甲公司", USCC_A, "2023-03-05"),  # 9: duplicate of row 4
        row("食经(2023)0006", "常熟戊公司", USCC_A, "2023-03-05", premises=""),  # 10: missing
        row("食经(2023)0007", "常熟己公司", BAD_CHECK, "2023-03-05"),  # 11: bad check char
        row("食经(2023)0008", "常熟庚公司", USCC_A, "2023-02-30"),  # 12: no such date
        row("食经(2023)0009", "常熟甲有限公司", USCC_A, "2023-03-05"),  # 13: other name
        row("食经(2023)0010", "常熟辛公司", USCC_D, "2023-03-05", "2029-03-05"),  # 14: > 5 y
    ]


EXPECTED: dict[int, list[tuple[str, str, str]]] = {
    3: [("备注", "warning", "unknown_column")],
    5: [("发证日期", "warning", "date_normalised")],
    6: [("发证日期", "warning", "date_normalised")],
    7: [("发证日期", "warning", "date_normalised"), ("持证主体代码", "warning", "code_normalised")],
    8: [("持证主体代码", "error", "damaged_number")],
    9: [("证照编号", "error", "duplicate_in_file")],
    10: [("持证主体名称", "warning", "holder_name_differs"),
         ("经营场所", "error", "missing_required")],
    11: [("持证主体代码", "error", "bad_code")],
    12: [("发证日期", "error", "bad_date"), ("持证主体名称", "warning", "holder_name_differs")],
    13: [("持证主体名称", "warning", "holder_name_differs")],
    14: [("有效期至", "error", "bad_validity")],
}
VALID_FOOD_ROWS = (4, 5, 6, 7, 13)


def write_food_book(path: Path, rows: Sequence[Sequence[Any]] | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["常熟市市场监督管理局 食品经营许可证存量台账"])
    sheet.merge_cells("A1:I1")
    sheet.append(TOP)
    sheet.append(SUB)
    sheet.merge_cells("B2:C2")
    for column in "ADEFGHI":
        sheet.merge_cells(f"{column}2:{column}3")
    for r in rows if rows is not None else food_rows():
        sheet.append(list(r))
    book.save(path)
    return path


def write_food_csv(path: Path, encoding: str = "gb18030") -> Path:
    """The same rows as CSV (one header row, dates as text), as Excel on Chinese Windows
    saves it."""
    header = ["证照编号", "持证主体名称", "持证主体代码", "发证日期", "有效期至", "纸质证照编号",
              "经营者名称", "经营场所", "备注"]
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for r in food_rows():
            writer.writerow([_csv_text(v) for v in r])
    return path


def _csv_text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.5E}".replace(".00000", "")  # what Excel shows: 9.13205E+17
    return str(value)


def doctor_rows() -> list[list[Any]]:
    good = make_citizen_id("320581", "19800101", "123")
    lost = next(make_citizen_id("320581", "19800101", f"{s:03d}") for s in range(1000)
                if make_citizen_id("320581", "19800101", f"{s:03d}").endswith("X"))
    lower = lost[:-1] + "x"
    return [
        ["医师0001", "张三", good, "2020-01-02", "临床", "常熟市第一人民医院"],  # 2
        ["医师0002", "李四", lost[:17], "2020-01-02", "临床", "常熟市第一人民医院"],  # 3
        ["医师0003", "王五", lower, "2020-01-02", "口腔", "常熟市第二人民医院"],  # 4
        ["医师0004", "赵六", 3.20581198e17, "2020-01-02", "临床", "常熟市中医院"],  # 5
        ["医师0005", "钱七", good[:-1] + "0" if good[-1] != "0" else good[:-1] + "1",
         "2020-01-02", "外科", "常熟市中医院"],  # 6: wrong check and a code not listed
    ]


def write_doctor_book(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["licence_number", "holder_name", "身份证号", "issue_date", "practice_category",
                  "practice_site"])
    for r in doctor_rows():
        sheet.append(r)
    book.save(path)
    return path


def make_ledger(folder: Path) -> dict[str, Any]:
    """A city ledger in ``folder/.ledger`` and the issuers' keys in ``folder/keys``."""
    clock = FakeClock(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    services = bootstrap(load_settings(env(folder)), clock=clock)
    try:
        s = Scenario(SEED, scenario_clock(clock))
        apply_all(services, clock, s.setup())
        services.projections.catch_up()
    finally:
        services.close()
    keys = folder / "keys"
    keys.mkdir()
    for dept in s.city.issuers.values():
        save_signing_key(dept.key, keys / f"{dept.code}.pem")
    authority = s.city.management.code
    return {"market": s.city.issuers["market"].code, "health": s.city.issuers["health"].code,
            "food": authority + FOOD, "doctor": authority + DOCTOR, "keys": keys,
            "scenario": s}


def env(folder: Path) -> dict[str, str]:
    return {"LEDGER_DATABASE_URL": f"sqlite:///{folder / '.ledger' / 'ledger.db'}",
            "LEDGER_KEY_FILE": str(folder / ".ledger" / "ledger-key.pem")}


def ledger(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the console script in ``folder`` as a user would."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    base["COLUMNS"] = "250"
    return subprocess.run([sys.executable, "-m", "commands.cli.main", *args], cwd=folder,
                          env={**base, **env(folder)}, capture_output=True, text=True,
                          timeout=300)
