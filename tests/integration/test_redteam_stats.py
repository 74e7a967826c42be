"""Red-team finding on the statistics: one department could make ``ledger stats`` fail.

Case counts go up to 2^53 - 1 each; a using department that reported such counts for
more than 1,024 matters of one type and month made SQLite's SUM() overflow 2^63, and
``ledger stats`` then failed for everyone ("integer overflow", said as a database outage).
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from tests.integration.test_poison_apply import ledger
from tests.integration.test_redteam_wire import apply, resign, town

__all__ = ["town"]  # a fixture, used by name

TAX = "113205814UXGCP0M7W"  # a using department of the loadgen's city
MATTERS = 1025


def test_case_counts_past_what_sqlite_can_sum_still_give_exact_statistics(
        town: tuple[Path, str, list[bytes]]) -> None:
    cwd, url, lines = town
    most = 2**53 - 1
    template = {"type": "ReportCaseCount", "actor": TAX, "key_id": "", "signature": "",
                "issued_at": orjson.loads(lines[-1])["issued_at"], "payload": {
                    "cases": most, "period": "2026-03", "type_code": "113205817JH4BXKF56001"}}
    reports = [orjson.dumps(resign(cwd, template, matter_code=f"MATTER-RT{n:04d}"))
               for n in range(MATTERS)]
    assert {a["status"] for a in apply(cwd, url, *reports)} == {"accepted"}

    run = ledger(cwd, url, "stats", "--period", "2026-03", "--json")
    assert run.returncode == 0, run.stderr
    (row,) = [r for r in json.loads(run.stdout)["rows"] if r["department"] == TAX]
    assert row["cases_requiring"] == most * MATTERS
