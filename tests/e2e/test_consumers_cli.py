"""The Kafka subcommands fail with clear messages, never tracebacks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson

from consumers.loadgen import LoadGenerator
from tests.kafka_broker import cli, free_port


def _clean_failure(done: subprocess.CompletedProcess[bytes], message: str) -> None:
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert message in err, err
    assert "Traceback" not in err


def test_post_to_an_unreachable_broker_says_what_was_tried(tmp_path: Path) -> None:
    stream = tmp_path / "s.jsonl"
    stream.write_bytes(orjson.dumps(next(LoadGenerator(1).stream(0))) + b"\n")
    port = free_port()
    done = cli(["post", str(stream), "--timeout", "1"],
               {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"})
    _clean_failure(done, f"no Kafka broker answered at 127.0.0.1:{port}")


def test_consume_without_a_reachable_database_says_so(tmp_path: Path) -> None:
    done = cli(["consume", "--until-idle", "1"], {
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "LEDGER_KEY_FILE": str(tmp_path / "k.pem"),
        "LEDGER_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/ledger"})
    _clean_failure(done, "cannot open the ledger database")


def test_consume_needs_to_know_the_brokers(tmp_path: Path) -> None:
    done = cli(["consume"], {"KAFKA_BOOTSTRAP_SERVERS": ""})
    _clean_failure(done, "KAFKA_BOOTSTRAP_SERVERS is not set")


def test_loadgen_refuses_a_ratio_out_of_range() -> None:
    _clean_failure(cli(["loadgen", "--licences", "1", "--bad-ratio", "1.5"], {}),
                   "--bad-ratio 1.5")


def test_loadgen_writes_json_lines_to_stdout(tmp_path: Path) -> None:
    done = cli(["loadgen", "--licences", "2", "--keys", str(tmp_path)], {})
    assert done.returncode == 0
    lines = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [e["type"] for e in lines].count("IssueLicence") == 2
    assert len(list(tmp_path.glob("*.pem"))) == len(LoadGenerator(1).scenario.city.departments)
