"""Archive packages: exported from a real ledger, verified offline, and attacked.

The attacks come in three strengths: a flipped byte anywhere (the bag's checksums catch
it); an edit with the checksums recomputed (the ledger's seal over the manifests catches
it); and an edit re-sealed with the ledger's own key, as an insider could (the content
checks catch it: chains, seals, signatures, proofs, recomputed files).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bagit  # type: ignore[import-untyped]
import orjson
import pytest

from commands.bootstrap import Services, bootstrap
from commands.cli.main import main
from commands.demo.scenario import Scenario
from commands.settings import load_settings
from ledger.archive.export import export_bag
from ledger.archive.package import seal_message, verify_bag, write_seal
from ledger.errors import LedgerError
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey, b64encode
from ledger.reconciliation.reconcile import Period
from ledger.transparency.log import TransparencyLog
from tests.builders import apply_all, build_city, flip, sign
from tests.conftest import FakeClock

PERIOD = Period.parse("2026-11")  # the FakeClock starts on 27 November 2026


def _rotate_market_key(services: Services, clock: FakeClock, scenario: Scenario) -> None:
    market = scenario.city.issuers["market"]
    new = SigningKey("ed25519", bytes(range(32)))
    apply_all(services, clock, [sign(scenario, market, "RotateDepartmentKey", {
        "code": market.code, "old_key_id": market.key.key_id,
        "public_key": b64encode(new.public_key)})])
    market.key = new


def _make_city(services: Services, clock: FakeClock) -> tuple[Scenario, str]:
    scenario = build_city(services, clock, licences=12)
    services.publish_checkpoint(TransparencyLog(services.store, services.read_db),
                                format_instant(clock.now))  # an older checkpoint, for the attacks
    clock.advance(minutes=1)
    _rotate_market_key(services, clock, scenario)
    apply_all(services, clock, scenario.issue(4))  # signed with the new key
    return scenario, scenario.city.issuers["market"].code


def _export(services: Services, clock: FakeClock, department: str, out: Path,
            period: Period = PERIOD) -> dict[str, Any]:
    return export_bag(services.store, services.read_db, services.ledger,
                      services.publish_checkpoint, department, period, out,
                      format_instant(clock.now))


def test_a_package_verifies_offline(services: Services, clock: FakeClock, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, market = _make_city(services, clock)
    summary = _export(services, clock, market, tmp_path / "bag")
    report = verify_bag(tmp_path / "bag")
    assert report.ok, report.problems
    assert report.facts["department"] == market and report.facts["events"] == summary["events"]
    data = tmp_path / "bag" / "data"
    keys = json.loads((data / "department-keys.json").read_text())[market]
    assert len(keys) == 2 and keys[0]["retired_at"] is not None  # the rotation is in it
    roles = {json.loads(line)["role"] for line in (data / "proofs.jsonl").read_text().splitlines()}
    assert roles == {"period", "department", "ledger-key", "command", "seal"}
    licences = json.loads((data / "licences.json").read_text())
    assert len(licences) == summary["licences"] > 0
    assert {lic["issuer_code"] for lic in licences} == {market}
    readme = (data / "README.md").read_text()
    assert market in readme and "ledger archive verify" in readme
    key_id = services.ledger.signer.key_id
    assert main(["archive", "verify", str(tmp_path / "bag"), "--ledger-key", key_id]) == 0
    assert "# archive" in capsys.readouterr().out  # the table of checks: stdout
    assert main(["archive", "verify", str(tmp_path / "bag"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    other = SigningKey("ed25519", bytes(32)).key_id
    assert main(["archive", "verify", str(tmp_path / "bag"), "--ledger-key", other]) == 1
    printed = capsys.readouterr()  # the checks and their problems are the result: stdout
    assert "trusted ledger key" in printed.out and "# problems" in printed.out
    assert "trusted ledger key" not in printed.err


def test_a_quiet_month_still_makes_a_valid_package(services: Services, clock: FakeClock,
                                                  tmp_path: Path) -> None:
    _, market = _make_city(services, clock)
    summary = _export(services, clock, market, tmp_path / "bag", Period.parse("2026-10"))
    assert summary["licences"] == 0
    assert verify_bag(tmp_path / "bag").ok


def test_export_refuses_a_used_directory_and_bad_arguments(
        services: Services, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _, market = _make_city(services, clock)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(LedgerError, match="not an empty directory"):
        _export(services, clock, market, tmp_path / "used")
    monkeypatch.setenv("LEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(services.settings.key_file))
    for args in (["--department", "NOTAUSCC", "--period", "2026-11"],
                 ["--department", market, "--period", "2026-13"]):
        assert main(["archive", "export", *args, "--out", str(tmp_path / "o")]) == 2
        assert "Traceback" not in capsys.readouterr().err
    assert main(["archive", "verify", str(tmp_path / "missing")]) == 1


def test_export_through_the_cli_with_a_paper_register(
        services: Services, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    scenario, market = _make_city(services, clock)
    type_001 = scenario.city.management.code + "001"
    paper = tmp_path / "paper.csv"
    paper.write_text("department,licence_type,period,issued,changed,withdrawn,in_force\n"
                     f"{market},{type_001},2026-11,0,0,0,0\n", encoding="utf-8")
    monkeypatch.setenv("LEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(services.settings.key_file))
    out = tmp_path / "bag"
    assert main(["archive", "export", "--department", market, "--period", "2026-11",
                 "--out", str(out), "--paper", str(paper)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["reconciliation_ok"] is False  # the register above is wrong on purpose
    report = json.loads((out / "data" / "reconciliation.json").read_text())
    assert report["paper"] == str(paper) and report["mismatches"] >= 1
    assert any(r["licence_type"] == type_001 and r["mismatches"] for r in report["rows"])
    assert verify_bag(out).ok


# -- attacks on one package ---------------------------------------------------------------
@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, SigningKey, str]]:
    home = tmp_path_factory.mktemp("archive")
    settings = load_settings({"LEDGER_DATABASE_URL": f"sqlite:///{home / 'ledger.db'}",
                              "LEDGER_KEY_FILE": str(home / "ledger-key.pem")})
    clock = FakeClock()
    services = bootstrap(settings, clock=clock)
    try:
        _, market = _make_city(services, clock)
        older = TransparencyLog(services.store, services.read_db).checkpoints()[0]
        _export(services, clock, market, home / "bag")
        (home / "older.txt").write_text(older.note())
        (home / "older.json").write_bytes(orjson.dumps(older.to_json()))
        yield home, services.ledger.signer, market
    finally:
        services.close()


@pytest.fixture
def bag(package: tuple[Path, SigningKey, str], tmp_path: Path) -> Path:
    shutil.copytree(package[0] / "bag", tmp_path / "bag")
    return tmp_path / "bag"


def _files(bag: Path) -> list[Path]:
    return sorted(p for p in bag.rglob("*") if p.is_file())


def test_every_altered_byte_is_caught(bag: Path) -> None:
    assert verify_bag(bag).ok
    for path in _files(bag):
        original = path.read_bytes()
        step = max(1, len(original) // 12)
        for index in sorted({0, len(original) - 1, *range(step // 2, len(original), step)}):
            path.write_bytes(flip(original, index))
            assert not verify_bag(bag).ok, (path.name, index)
        path.write_bytes(original)
    assert verify_bag(bag).ok


def _remanifest(bag: Path) -> None:
    bagit.Bag(str(bag)).save(manifests=True)


def _reseal(bag: Path, key: SigningKey) -> None:
    _remanifest(bag)
    write_seal(bag, key.key_id, key.sign(seal_message(bag)))
    bagit.Bag(str(bag)).save(manifests=False)


def test_an_edit_with_recomputed_checksums_breaks_the_ledger_seal(bag: Path) -> None:
    for path in sorted((bag / "data").iterdir()):
        original = path.read_bytes()
        path.write_bytes(original.replace(b"e", b"E", 1) + b" ")
        _remanifest(bag)
        report = verify_bag(bag)
        assert any("ledger-seal.json" in p for p in report.problems), (path.name,
                                                                        report.problems)
        path.write_bytes(original)
        _remanifest(bag)
    assert verify_bag(bag).ok


def _lines(name: str, change: Callable[[list[bytes]], list[bytes]]) -> Callable[[Path], None]:
    def edit(bag: Path) -> None:
        path = bag / "data" / name
        path.write_bytes(b"".join(line + b"\n" for line in change(path.read_bytes().splitlines())))
    return edit


def _json_edit(name: str, change: Callable[[object], object]) -> Callable[[Path], None]:
    def edit(bag: Path) -> None:
        path = bag / "data" / name
        path.write_bytes(orjson.dumps(change(orjson.loads(path.read_bytes()))) + b"\n")
    return edit


def _period_line(lines: list[bytes]) -> int:
    return next(i for i, line in enumerate(lines) if b'"LicenceIssued"' in line)


def _dropper(marker: bytes) -> Callable[[Path], None]:
    def drop(bag: Path) -> None:
        events = (bag / "data" / "events.jsonl").read_bytes().splitlines()
        proofs = (bag / "data" / "proofs.jsonl").read_bytes().splitlines()
        i = next(i for i, line in enumerate(events) if marker in line)
        for name, lines in (("events.jsonl", events), ("proofs.jsonl", proofs)):
            (bag / "data" / name).write_bytes(b"".join(x + b"\n" for x in lines[:i]
                                                       + lines[i + 1:]))
    return drop


def _swap_events(bag: Path) -> None:
    for name in ("events.jsonl", "proofs.jsonl"):
        lines = (bag / "data" / name).read_bytes().splitlines()
        lines[3], lines[4] = lines[4], lines[3]
        (bag / "data" / name).write_bytes(b"".join(x + b"\n" for x in lines))


def _alter_event(lines: list[bytes]) -> list[bytes]:
    i = _period_line(lines)
    lines[i] = lines[i].replace(b"CASE-", b"CASF-", 1)
    return lines


def _forge_proof(lines: list[bytes]) -> list[bytes]:
    proof = orjson.loads(lines[5])
    proof["proof"][0] = b64encode(bytes(32))
    return [*lines[:5], orjson.dumps(proof), *lines[6:]]


def _shift_leaf(lines: list[bytes]) -> list[bytes]:
    proof = orjson.loads(lines[5])
    proof["leaf_index"] += 1
    return [*lines[:5], orjson.dumps(proof), *lines[6:]]


def _relabel(lines: list[bytes]) -> list[bytes]:
    return [line.replace(b'"role":"command"', b'"role":"period"', 1) for line in lines]


ATTACKS: dict[str, tuple[Callable[[Path], None], str]] = {
    "an event altered": (_lines("events.jsonl", _alter_event), "proof line names another"),
    "a licence's events dropped": (_dropper(b'"LicenceIssued"'),
                                   "events missing from the package"),
    "a department event dropped": (_dropper(b'"DepartmentRegistered"'), "hash chain broken"),
    "a key event dropped": (_dropper(b'"DepartmentKeyRegistered"'), "not registered"),
    "a seal dropped": (_dropper(b'"BatchSealed"'), "no ledger seal"),
    "a command dropped": (_dropper(b'"CommandRecorded"'), "is not in the package"),
    "two events swapped": (_swap_events, "not after"),
    "a proof hash forged": (_lines("proofs.jsonl", _forge_proof), "inclusion proof"),
    "a leaf index shifted": (_lines("proofs.jsonl", _shift_leaf), "inclusion proof"),
    "a role relabelled": (_lines("proofs.jsonl", _relabel), "not an event of a licence"),
    "licence states altered": (_json_edit("licences.json", lambda v: [
        {**v[0], "status": "04"}, *v[1:]] if isinstance(v, list) else v), "licences.json"),
    "department keys altered": (_json_edit("department-keys.json", lambda v: {}),
                                "department-keys.json"),
    "ledger keys altered": (_json_edit("ledger-keys.json", lambda v: []), "ledger-keys.json"),
    "report figures altered": (_json_edit("reconciliation.json", lambda v: {
        **v, "computed_at": "2020-01-01T00:00:00.000000Z"} if isinstance(v, dict) else v),
        "signature does not verify"),
    "period moved": (_json_edit("bag.json", lambda v: {**v, "period": "2026-10"}
                                if isinstance(v, dict) else v), "outside 2026-10"),
    "checkpoint forms disagree": (_json_edit("checkpoint.json", lambda v: {
        **v, "time": "2026-11-27T08:00:00.000001Z", "note": None} if isinstance(v, dict)
        else v), "checkpoint"),
    "an extra payload file": (lambda b: (b / "data" / "extra.txt").touch(), "data/extra.txt"),
    "a missing payload file": (lambda b: (b / "data" / "licences.json").unlink(),
                               "missing file"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_insider_resealed_forgery_is_caught_by_the_content_checks(
        bag: Path, package: tuple[Path, SigningKey, str], name: str) -> None:
    attack, reason = ATTACKS[name]
    attack(bag)
    _reseal(bag, package[1])
    report = verify_bag(bag)
    assert not report.ok and any(reason in p for p in report.problems), report.problems


def test_an_older_checkpoint_swapped_in_is_caught(bag: Path, tmp_path: Path,
                                                  package: tuple[Path, SigningKey, str]) -> None:
    for name in ("checkpoint.txt", "checkpoint.json"):
        shutil.copy(package[0] / f"older.{name.split('.')[1]}", bag / "data" / name)
    _reseal(bag, package[1])
    problems = verify_bag(bag).problems
    assert any("inclusion proof" in p for p in problems), problems
    assert any("another checkpoint" in p for p in problems), problems


def test_a_package_sealed_with_another_key_is_caught(bag: Path) -> None:
    _reseal(bag, SigningKey("ed25519", bytes(32)))
    assert any("ledger-seal.json" in p for p in verify_bag(bag).problems)


def test_an_extra_tag_file_is_caught(bag: Path, package: tuple[Path, SigningKey, str]) -> None:
    (bag / "notes.txt").write_text("hello")
    _reseal(bag, package[1])
    assert any("notes.txt" in p for p in verify_bag(bag).problems)
