"""Render and sign one licence file (face ▸ layout ▸ PDF or OFD ▸ signature), after warm-up.

    .venv/bin/python -m benchmarks.files [--runs N]

Measures :func:`licence_files.service.make_original` (what ``ledger render`` does
before it records the hash) for PDF and OFD, and the check of a file's bytes that
``ledger verify-file`` does before it asks the ledger. Target: well under 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from commands.cli.output import table
from commands.settings import load_settings
from ledger.domain.licence import Licence
from licence_files.certificates import load_signer
from licence_files.dev_ca import DevCA
from licence_files.face import build_face
from licence_files.fonts import load_font
from licence_files.service import make_original
from licence_files.verify import inspect_file

IDENT = "1.2.156.3005.2.11320581AY4CL12T22001.11320581H3BJ1XG69C.00700000000.001.Z"
DEFINITION = {"name": "营业执照", "template": {"id": "tpl-营业执照", "version": 1},
              "face_fields": [{"name": "company_name"}, {"name": "legal_representative"},
                              {"name": "business_scope"}]}
FIELDS = {"licence_number": "营业（2026）0000001", "issue_date": "2026-01-02",
          "valid_from": "2026-01-02", "valid_until": None,
          "holders": ({"name": "常熟市示例企业有限公司", "code": "91320581C3E684P62J",
                       "code_type": "001"},),
          "face": {"company_name": "常熟市示例企业有限公司", "legal_representative": "张三",
                   "business_scope": "食品销售；日用百货零售；技术服务、技术开发、技术咨询"}}


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    for _ in range(3):  # warm-up: font loading, imports, caches
        fn()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    fs = load_settings({"LEDGER_KEYS_DIR": str(folder)}).files
    ca = DevCA.create()
    key, cert = ca.issue("常熟市市场监督管理局 文件签名", "常熟市市场监督管理局")
    ca.write_signer(folder, "ISSUER", key, cert)
    signer, font = load_signer(fs, "ISSUER"), load_font(fs.font_file)
    licence = Licence("T", "I", "S", IDENT, 1, 1, "01", FIELDS, None, (IDENT,), "01")
    face = build_face(licence, DEFINITION, "常熟市市场监督管理局", "ab" * 16)
    now = datetime.now(UTC)
    rows = []
    for fmt in ("pdf", "ofd"):
        ms = timed(lambda fmt=fmt: make_original(face, font, signer, fmt, "issuer", now),
                   args.runs)
        data = make_original(face, font, signer, fmt, "issuer", now)
        check = timed(lambda data=data: inspect_file(data), max(5, args.runs // 3))
        rows.append((fmt, f"{statistics.median(ms):.1f}", f"{max(ms):.1f}", len(data),
                     f"{statistics.median(check):.1f}"))
    table(f"render + sign one licence ({args.runs} runs after warm-up, ms)",
          ["format", "median", "max", "bytes", "check bytes (median)"], rows)


if __name__ == "__main__":
    main()
