"""An import killed midway and run again ends with the same ledger as one that was never
interrupted: each row's command id comes from the file's content and the row number."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ledger.domain.identifiers import make_uscc
from tests.e2e.import_books import MAPPING, env, ledger, make_ledger

ROWS = 400


def write_big_csv(path: Path, rows: int = ROWS) -> Path:
    lines = ["证照编号,持证主体名称,持证主体代码,发证日期,有效期至,纸质证照编号,"
             "经营者名称,经营场所"]
    for i in range(rows):
        code = make_uscc("91320581", f"MA{i:06d}")
        lines.append(f"食经(2022){i:05d},企业{i},{code},2022.6.{1 + i % 28},2027-05-31,"
                     f"ZP{i:05d},企业{i},常熟市{i}号")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def command(city: dict[str, Any], path: Path) -> list[str]:
    return [sys.executable, "-m", "commands.cli.main", "import", str(path), "--type", city["food"],
            "--issuer", city["market"], "--keys", str(city["keys"]), "--mapping",
            str(city["folder"] / "map.toml"), "--json"]


def issued(folder: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(folder / ".ledger" / "ledger.db-read", timeout=30) as db:
        try:
            return db.execute("SELECT identifier, licence_number, issue_date, valid_until"
                              " FROM licences ORDER BY identifier").fetchall()
        except sqlite3.OperationalError:  # the read model's tables are not there yet
            return []


def receipts(folder: Path) -> int:
    with sqlite3.connect(folder / ".ledger" / "ledger.db-read", timeout=30) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM licences").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def setup_city(folder: Path) -> dict[str, Any]:
    folder.mkdir()
    info = make_ledger(folder)
    (folder / "map.toml").write_text(MAPPING, encoding="utf-8")
    return {**info, "folder": folder}


@pytest.mark.slow
def test_killed_import_resumed_equals_an_uninterrupted_one(tmp_path: Path) -> None:
    whole, broken = setup_city(tmp_path / "whole"), setup_city(tmp_path / "broken")
    data = write_big_csv(tmp_path / "stock.csv")
    done = ledger(whole["folder"], *command(whole, data)[3:])
    assert done.returncode == 0, done.stderr
    assert len(issued(whole["folder"])) == ROWS

    base = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    process = subprocess.Popen(command(broken, data), cwd=broken["folder"],
                               env={**base, **env(broken["folder"]), "LEDGER_BATCH_SIZE": "10"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while receipts(broken["folder"]) < 20 and process.poll() is None:
        assert time.monotonic() < deadline, "the import never issued anything"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = receipts(broken["folder"])
    assert 0 < partial < ROWS, "the import was not interrupted midway"

    again = ledger(broken["folder"], *command(broken, data)[3:])
    assert again.returncode == 0, again.stderr
    now, before = counted(again.stderr)
    # The read model may trail the last committed batch by one when killed between them.
    assert now + before == ROWS and before >= partial
    assert issued(broken["folder"]) == issued(whole["folder"])
    # A third run finds everything already there.
    third = ledger(broken["folder"], *command(broken, data)[3:])
    assert counted(third.stderr) == (0, ROWS)


def counted(stderr: str) -> tuple[int, int]:
    now = re.search(r"issued now[\s│]*(\d+)", stderr)
    before = re.search(r"issued before \(skipped\)[\s│]*(\d+)", stderr)
    assert now and before, stderr
    return int(now[1]), int(before[1])


@pytest.mark.slow
def test_two_imports_of_one_file_at_once_report_no_refusal(tmp_path: Path) -> None:
    # Two clerks start the same file together: each row is issued once, and a row the
    # other run issued first is "issued before", not a refused command id.
    city = setup_city(tmp_path / "city")
    data = write_big_csv(tmp_path / "stock.csv", 3000)
    base = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    runs = [subprocess.Popen(command(city, data), cwd=city["folder"], text=True,
                             env={**base, **env(city["folder"]), "LEDGER_BATCH_SIZE": "10"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stdout[-2000:] + stderr[-2000:]
    issued_now = [counted(stderr) for _, stderr in outputs]
    assert sum(now for now, _ in issued_now) == 3000
    assert all(now + before == 3000 for now, before in issued_now)
    assert len(issued(city["folder"])) == 3000
