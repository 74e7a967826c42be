"""``ledger checkpoint`` and ``ledger proof``: the exact interface, checked as a third party."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.cli.main import main
from ledger.transparency.checkpoint import from_json, parse_note, verify_checkpoint
from ledger.transparency.merkle import verify_consistency, verify_inclusion
from tests.builders import apply_all, build_city
from tests.conftest import FakeClock


def _run(services: Services, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("LEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(services.settings.key_file))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _b(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def test_checkpoint_and_proofs_as_a_third_party_checks_them(
        services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    scenario = build_city(services, clock, licences=6, lifecycle=False)
    run: Any = lambda *a: _run(services, monkeypatch, capsys, *a)  # noqa: E731
    code, out, err = run("checkpoint", "--json")
    first = json.loads(out)
    assert code == 0 and first["published"] is True
    assert {"size", "root", "time", "key_id", "signature"} <= set(first)
    signer = services.ledger.signer
    keys = {signer.key_id: (signer.algorithm, signer.public_key)}
    verify_checkpoint(from_json(first), keys)
    code, note, err = run("checkpoint")
    assert code == 0 and "still stands" in err
    assert parse_note(note) == from_json(first)  # same checkpoint: nothing new was added

    code, out, _ = run("proof", "inclusion", "--index", "3", "--json")
    proof = json.loads(out)
    assert code == 0 and proof["tree_size"] == first["size"] and proof["leaf_index"] == 3
    verify_inclusion(_b(proof["leaf_hash"]), 3, proof["tree_size"],
                     [_b(h) for h in proof["proof"]], _b(first["root"]))

    apply_all(services, clock, scenario.issue(2))
    # An index past the latest checkpoint: a new checkpoint is published to cover it.
    code, out, _ = run("proof", "inclusion", "--index", str(first["size"] + 3), "--json")
    later = json.loads(out)
    assert code == 0 and later["tree_size"] > first["size"] + 3
    assert later["checkpoint"]["size"] == later["tree_size"]
    verify_checkpoint(from_json(later["checkpoint"]), keys)

    code, out, _ = run("proof", "consistency", "--from", str(first["size"]), "--to",
                       str(later["tree_size"]), "--json")
    c = json.loads(out)
    assert code == 0 and (c["size1"], c["size2"]) == (first["size"], later["tree_size"])
    assert c["root1"] == first["root"] and c["root2"] == later["root"]
    verify_consistency(c["size1"], c["size2"], [_b(h) for h in c["proof"]], _b(c["root1"]),
                       _b(c["root2"]))

    code, out, _ = run("proof", "inclusion", "--index", "0", "--size", "5")
    assert code == 0 and out.startswith("leaf_index\t0\ntree_size\t5\n")
    code, out, _ = run("proof", "consistency", "--from", "2")
    assert code == 0 and "size2\t" in out


@pytest.mark.parametrize("args, message", [
    (["proof", "inclusion", "--index", "9999", "--size", "3"], "outside"),
    (["proof", "inclusion", "--index", "0", "--size", "999999"], "outside"),
    (["proof", "consistency", "--from", "5", "--to", "3"], "need 0 < from"),
    (["proof", "consistency", "--from", "0", "--to", "3"], "need 0 < from"),
])
def test_impossible_requests_exit_2_with_a_sentence(
        services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    build_city(services, clock, licences=2, lifecycle=False)
    code, _, err = _run(services, monkeypatch, capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_an_empty_ledger_has_no_checkpoint(services: Services, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(services, monkeypatch, capsys, "checkpoint")
    assert code == 2 and "no events yet" in err


def test_negative_numbers_are_usage_errors(services: Services, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _run(services, monkeypatch, capsys, "proof", "inclusion", "--index", "-1")
    assert exit_info.value.code == 2
