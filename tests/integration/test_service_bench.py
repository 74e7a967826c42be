"""The HTTP section of ``ledger bench`` in a tiny run: every figure present, every request
answered 200 (the verifications are real, signed and recorded), targets as rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import suite_http


@pytest.mark.slow
def test_http_section_measures_the_service_beside_its_baselines(tmp_path: Path) -> None:
    report = suite_http.http(tmp_path, licences=20, requests=40, concurrency=4,
                             say=lambda _: None)
    for figure in ("constant", "verify", "verify_at_half_peak"):
        assert report[figure]["statuses"] == {"200": 40}, report[figure]
        assert report[figure]["p99_ms"] >= report[figure]["p50_ms"] > 0
    assert report["bus_verifications_per_s"] > 0 and report["http_vs_bus"] > 0
    rows = suite_http.targets({"http": report})
    assert [r["status"] in ("PASS", "MISS") for r in rows] == [True, True]
    assert suite_http.targets({})[0]["status"] == "n/a"
