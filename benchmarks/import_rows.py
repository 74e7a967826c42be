"""How fast does ``ledger import`` check and issue stock rows, beside ``ledger apply``?

    .venv/bin/python -m benchmarks.import_rows [--rows N] [--check-rows M] [--json FILE]

In one run, on temporary SQLite ledgers set up alike (the demo city's departments and
catalogue):

* validation: ``ledger import --dry-run`` of a CSV of M valid rows and of the same rows as
  an ``.xlsx`` workbook, rows per second (reading, mapping, every check);
* import: ``ledger import`` of N rows (check, sign, issue in batches through the bus);
* apply: ``ledger apply`` of the very ``IssueLicence`` commands the import signed (taken
  from the import ledger's receipts), on a fresh ledger.

Targets (issue 17): validation >= 20,000 rows/s; import >= 0.8 of apply. Benchmarks are
not tests: figures vary with the machine's load. CPU time of this process is shown beside
wall-clock time (the steadier figure on a busy machine).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from commands.bootstrap import bootstrap
from commands.cli.main import main
from commands.demo.scenario import Scenario
from commands.settings import load_settings
from ledger.domain.identifiers import make_uscc
from ledger.integrity.mapper import decode_stored
from ledger.integrity.signing import save_signing_key

MAPPING = '[columns]\n"经营者名称" = "operator_name"\n"经营场所" = "premises"\n'
HEADER = ["证照编号", "持证主体名称", "持证主体代码", "发证日期", "有效期至", "纸质证照编号",
          "经营者名称", "经营场所"]


def rows(n: int) -> Iterator[list[str]]:
    for i in range(n):
        yield [f"食经(2022){i:07d}", f"企业{i}", make_uscc("91320581", f"{i:08d}"),
               f"2022.6.{1 + i % 28}", "2027-05-31", f"ZP{i:07d}", f"企业{i}", f"常熟市{i}号"]


def write_csv(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADER) + "\n")
        for r in rows(n):
            handle.write(",".join(r) + "\n")
    return path


def write_xlsx(path: Path, n: int) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for r in rows(n):
        sheet.append(r)
    book.save(path)
    return path


class Ledger:
    """A fresh embedded ledger with the demo city set up, its issuers' keys in a folder."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        self.env = {"LEDGER_DATABASE_URL": f"sqlite:///{folder / 'ledger.db'}",
                    "LEDGER_KEY_FILE": str(folder / "ledger-key.pem")}
        start = datetime.now(UTC) - timedelta(hours=1)
        s = Scenario(7, lambda: start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        services = bootstrap(load_settings(self.env))
        try:
            refused = [r for r in services.bus.execute(list(s.setup())) if not r.accepted]
            assert not refused, refused
        finally:
            services.close()
        self.keys = folder / "keys"
        self.keys.mkdir()
        for dept in s.city.issuers.values():
            save_signing_key(dept.key, self.keys / f"{dept.code}.pem")
        self.market = s.city.issuers["market"].code
        self.food = s.city.management.code + "002"

    def run(self, *args: str) -> tuple[int, float, float]:
        """Run the console script in-process; exit code, wall and CPU seconds."""
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                code = main(list(args))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return code, time.perf_counter() - wall, time.process_time() - cpu

    def import_args(self, path: Path, mapping: Path, *extra: str) -> list[str]:
        return ["import", str(path), "--type", self.food, "--issuer", self.market, "--keys",
                str(self.keys), "--mapping", str(mapping), *extra]

    def signed_commands(self) -> list[bytes]:
        """The IssueLicence envelopes the import signed, from the receipts it recorded."""
        services = bootstrap(load_settings(self.env))
        try:
            out = []
            for _, row in services.store.iter_rows():
                if row.topic.endswith("CommandRecorded"):
                    command = decode_stored(row).data["command"]
                    if command["type"] == "IssueLicence":
                        out.append(orjson.dumps(command) + b"\n")
            return out
        finally:
            services.close()


def rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else 0.0


def measure(fn: Callable[[], tuple[int, float, float]], n: int, what: str) -> dict[str, Any]:
    code, wall, cpu = fn()
    result = {"rows": n, "seconds": round(wall, 3), "rows_per_s": rate(n, wall),
              "rows_per_cpu_s": rate(n, cpu), "exit_code": code}
    print(f"{what:<28} {result['rows_per_s']:>10,.0f} rows/s  (CPU {result['rows_per_cpu_s']:,.0f}"
          f"/s, {n} rows, {wall:.2f} s)", file=sys.stderr)
    return result


def run(n: int, check_n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        base = Path(tmp)
        mapping = base / "map.toml"
        mapping.write_text(MAPPING, encoding="utf-8")
        big_csv, big_xlsx = write_csv(base / "check.csv", check_n), write_xlsx(
            base / "check.xlsx", check_n)
        data = write_csv(base / "stock.csv", n)
        checking = Ledger(base / "check")
        importing, applying = Ledger(base / "import"), Ledger(base / "apply")
        out: dict[str, Any] = {
            "validation_csv": measure(lambda: checking.run(
                *checking.import_args(big_csv, mapping, "--dry-run")), check_n,
                "validation (CSV)"),
            "validation_xlsx": measure(lambda: checking.run(
                *checking.import_args(big_xlsx, mapping, "--dry-run")), check_n,
                "validation (xlsx)"),
            "import": measure(lambda: importing.run(*importing.import_args(data, mapping)), n,
                              "import (check+sign+issue)"),
        }
        lines = importing.signed_commands()
        assert len(lines) == n, (len(lines), n)
        commands = base / "commands.jsonl"
        commands.write_bytes(b"".join(lines))
        out["apply"] = measure(lambda: applying.run("apply", str(commands)), n,
                               "apply (same commands)")
    out["import_vs_apply"] = round(out["import"]["rows_per_s"] / out["apply"]["rows_per_s"], 3)
    ok_check = min(out["validation_csv"]["rows_per_s"], out["validation_xlsx"]["rows_per_s"])
    print(f"validation >= 20,000 rows/s: {'PASS' if ok_check >= 20000 else 'MISS'}"
          f" ({ok_check:,.0f});  import >= 0.8 of apply:"
          f" {'PASS' if out['import_vs_apply'] >= 0.8 else 'MISS'} ({out['import_vs_apply']})",
          file=sys.stderr)
    return out


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000, help="rows imported and applied")
    parser.add_argument("--check-rows", type=int, default=50000, help="rows validated")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    figures = run(args.rows, args.check_rows)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
