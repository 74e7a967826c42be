"""``ledger bench`` in its tiny smoke mode: the JSON has every figure's key (no timing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commands.cli.main import main


@pytest.mark.postgres
def test_bench_smoke_writes_every_figure(pg_database: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert main(["bench", "--smoke", "--json", str(out), "--database-url", pg_database]) == 0
    printed = capsys.readouterr()  # the results on stdout (one TSV table after another)
    assert "# targets (smoke run" in printed.out and "# targets" not in printed.err
    report = json.loads(out.read_text())
    assert report["mode"] == "smoke"
    assert {"cpus", "cpu_model", "python"} <= report["machine"].keys()
    assert {"eventsourcing", "psycopg", "postgresql"} <= report["versions"].keys()
    for db in ("postgresql", "sqlite"):
        ingest = report["ingest"][db]
        for key in ("ledger", "eventsourcing", "recorder", "raw"):
            assert f"{key}_commands_per_s" in ingest
        assert {"ledger_vs_eventsourcing", "ledger_vs_recorder", "ledger_vs_raw"} <= ingest.keys()
        replay = ingest["replay"]  # audit --replay over the very ledger just ingested
        assert replay["ok"] is True and replay["events"] == ingest["events"]
        assert replay["events_per_s"] > 0 and replay["replay_vs_ingest"] > 0
    mix = report["ingest"]["postgresql"]["catch_up"]  # catch-up over the loadgen mix
    assert mix["projection_topic_events"] > 0 and mix["catch_up_events_per_s"] > 0
    assert report["kafka"] == {"available": False, "reason": "not measured in smoke mode"}
    growth = report["growth"]
    assert {"audit_vs_raw_verify", "raw_verify_per_s"} <= growth["audit"].keys()
    assert {"catch_up_events_per_s", "raw_read_events_per_s"} <= growth["catch_up"].keys()
    assert [p["licences"] for p in growth["points"]] == growth["sizes"]
    for point in growth["points"]:
        assert {"load", "audit", "project", "show", "verify"} <= point.keys()
        assert point["audit"]["ok"] is True
        assert {"p50_ms", "p99_ms"} <= point["show"].keys()
    assert {"per_command_us_ratio", "audit_rss_ratio"} <= growth["summary"].keys()
    statuses = {t["target"]: t["status"] for t in report["targets"]}
    assert set(statuses.values()) <= {"PASS", "MISS", "n/a"}
    assert statuses["end to end through Kafka (commands/s)"] == "n/a"
    assert statuses["ledger audit --replay re-derives the ingested history"] == "PASS"


def test_bench_refuses_a_database_url_with_a_schema() -> None:
    assert main(["bench", "--smoke", "--database-url",
                 "postgresql://postgres@127.0.0.1:5432/x?schema=s"]) == 2
