"""Cutting the tail of the history, as an insider with database access would.

A cut at a batch boundary that also takes the checkpoints leaves a history that is
consistent in itself: the ordinary audit cannot see it. A third party that kept an
earlier checkpoint can: ``ledger audit --checkpoint`` must catch every cut below its size,
whether the transparency leaf table is left stale or cut too; proofs and new checkpoints
must never come from leaves the ledger no longer holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from commands.bootstrap import Services
from commands.cli.main import main
from ledger.transparency.log import TransparencyLog
from tests.builders import RawEvents, apply_all, build_city
from tests.conftest import FakeClock


@dataclass
class Held:
    services: Services
    raw: RawEvents
    early: Path  # an earlier checkpoint a third party kept
    late: Path  # the latest one it kept
    early_size: int
    late_size: int
    run: Any

    def cut_after(self, nid: int, leaves_too: bool) -> None:
        """Delete every event after notification id ``nid`` (and their leaves)."""
        self.raw._run(("DELETE FROM {table} WHERE {id} > ?", (nid,)))
        if leaves_too:
            db = self.services.read_db
            with db.transaction():
                db.execute("DELETE FROM transparency_leaves WHERE notification_id > ?", [nid])

    def audit(self, checkpoint: Path) -> tuple[int, dict[str, Any]]:
        code, out, _ = self.run("audit", "--json", "--checkpoint", str(checkpoint))
        return code, json.loads(out)


@pytest.fixture
def held(services: Services, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> Held:
    monkeypatch.setenv("LEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("LEDGER_KEY_FILE", str(services.settings.key_file))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    def keep(name: str) -> tuple[Path, int]:
        code, out, _ = run("checkpoint", "--json")
        assert code == 0
        clock.advance(minutes=1)
        (tmp_path / name).write_text(out)
        return tmp_path / name, int(json.loads(out)["size"])

    scenario = build_city(services, clock, licences=6, lifecycle=True)
    early, early_size = keep("early.json")
    apply_all(services, clock, scenario.issue(2))
    apply_all(services, clock, scenario.issue(2))
    late, late_size = keep("late.json")
    apply_all(services, clock, scenario.issue(1))  # the history goes on past it
    TransparencyLog(services.store, services.read_db).catch_up()
    return Held(services, RawEvents(services.settings.database_url), early, late, early_size,
                late_size, run)


def _cut_points(held: Held) -> list[int]:
    """Every batch boundary below the late checkpoint, and a cut inside every batch,
    highest first (so one ledger can be cut further and further)."""
    rows = held.raw.rows()
    below = rows[:held.late_size]  # the leaves the late checkpoint signed
    seals = [r.nid for r in below if r.topic == "BatchSealed"]
    inside = [r.nid - 1 for r in below if r.topic == "BatchSealed"
              and rows[rows.index(r) - 1].topic != "BatchSealed"]
    return sorted({*seals, *inside} - {below[-1].nid}, reverse=True)


def test_an_untouched_ledger_extends_both_held_checkpoints(held: Held) -> None:
    for checkpoint, size in ((held.early, held.early_size), (held.late, held.late_size)):
        code, report = held.audit(checkpoint)
        assert code == 0 and report["ok"] is True, report
        assert report["held_checkpoint"] == {
            "ok": True, "size": size, "events": len(held.raw.rows()),
            "time": json.loads(checkpoint.read_text())["time"],
            "key_id": held.services.ledger.signer.key_id}


@pytest.mark.slow
@pytest.mark.parametrize("leaves_too", [False, True], ids=["leaves stale", "leaves cut too"])
def test_every_tail_cut_below_a_held_checkpoint_is_caught(held: Held, leaves_too: bool) -> None:
    cuts = _cut_points(held)
    boundaries = {r.nid for r in held.raw.rows() if r.topic == "BatchSealed"}
    assert len(cuts) >= 12 and len(boundaries & set(cuts)) >= 6
    caught, plain_audit_blind = 0, 0
    for nid in cuts:
        held.cut_after(nid, leaves_too)
        remaining = len(held.raw.rows())
        code, report = held.audit(held.late)
        outcome = report["held_checkpoint"]
        if code == 1 and not outcome["ok"]:
            caught += 1
        assert outcome["events"] == remaining
        assert any(f"holds {remaining} events but the held checkpoint signed {held.late_size}"
                   in p for p in outcome["problems"]), outcome
        assert report["errors"][-1]["stream"] == "held checkpoint"
        code, plain, _ = held.run("audit", "--json")
        plain_audit_blind += nid in boundaries and code == 0
        if not leaves_too:  # the leaf table left behind shows the cut, no checkpoint needed
            assert code == 1 and any("(a tail cut)" in e["reason"]
                                     for e in json.loads(plain)["errors"]), plain
        _proofs_never_exceed_the_events(held, remaining, leaves_too)
    assert caught == len(cuts)
    # The limit the docs state: cut at a batch boundary with its leaves, the ledger alone
    # looks whole; only the held checkpoint shows the cut.
    assert plain_audit_blind == (len(boundaries & set(cuts)) if leaves_too else 0)


def _proofs_never_exceed_the_events(held: Held, remaining: int, leaves_too: bool) -> None:
    code, out, err = held.run("proof", "consistency", "--from", "1", "--to",
                              str(held.late_size), "--json")
    assert code != 0 and out == ""
    if leaves_too:  # the ledger holds fewer leaves now, and says so
        assert "need 0 < from" in err, err
    else:
        assert "refused" in err and "log_mismatch" in err, err
    code, out, err = held.run("proof", "inclusion", "--index", str(remaining), "--size",
                              str(remaining + 1), "--json")
    assert code != 0 and out == "", out
    code, out, err = held.run("proof", "inclusion", "--index", "0", "--json")
    if leaves_too:
        return  # the ledger holds that history and may prove it (and checkpoint it)
    assert code == 1 and out == "" and "refused" in err, err
    code, out, err = held.run("checkpoint", "--json")
    assert code == 1 and out == "" and "log_mismatch" in err, err


def test_a_checkpoint_after_a_cut_is_never_larger_than_the_events(held: Held) -> None:
    seals = [r.nid for r in held.raw.rows()[:held.early_size] if r.topic == "BatchSealed"]
    held.cut_after(seals[-2], leaves_too=True)
    remaining = len(held.raw.rows())
    code, out, _ = held.run("checkpoint", "--json")
    signed = json.loads(out)
    assert code == 0 and signed["size"] == remaining < held.early_size
    for checkpoint in (held.early, held.late):  # both holders still see the cut
        code, report = held.audit(checkpoint)
        assert code == 1 and report["held_checkpoint"]["ok"] is False
        assert any("altered or replaced" in p or "missing" in p
                   for p in report["held_checkpoint"]["problems"]), report


def test_a_cut_above_the_held_checkpoint_is_not_visible_to_its_holder(held: Held) -> None:
    """Documented limit: a checkpoint vouches for its own prefix, nothing after it."""
    last_sealed = max(r.nid for r in held.raw.rows() if r.topic == "BatchSealed")
    before_last = max(r.nid for r in held.raw.rows()
                      if r.topic == "BatchSealed" and r.nid < last_sealed)
    held.cut_after(before_last, leaves_too=True)
    code, report = held.audit(held.late)
    assert code == 0 and report["held_checkpoint"]["ok"] is True, report


def test_a_stored_checkpoint_larger_than_the_history_before_it_is_reported(held: Held) -> None:
    """A batch deleted from the middle: the later checkpoint now claims more leaves."""
    rows = held.raw.rows()
    seals = [i for i, r in enumerate(rows[:held.early_size]) if r.topic == "BatchSealed"]
    for r in rows[seals[-2] + 1:seals[-1] + 1]:  # the last batch before the early checkpoint
        held.raw.delete(r.nid)
    code, report = held.audit(held.early)
    reasons = [e["reason"] for e in report["errors"]]
    assert code == 1 and any("claims more leaves than" in r for r in reasons), reasons
    assert report["held_checkpoint"]["ok"] is False
