"""docs/import.md's "Trying it on the demo ledger" runs as written on a demo ledger
(issues 16 and 17): the block is taken from the document itself, only the two codes the
reader pastes from the listed catalogue are filled in."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_newcomer import ledger

DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def walkthrough() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Trying it on the demo ledger", 1)[1]
    return section.split("```sh\n", 1)[1].split("\n```", 1)[0]


@pytest.mark.slow
def test_the_import_walkthrough_runs_as_written(tmp_path: Path) -> None:
    done = ledger(tmp_path, "demo", "--licences", "50", "--seed", "17")
    assert done.returncode == 0, done.stderr
    block = walkthrough()
    assert block.startswith("L=.venv/bin/ledger\n")
    (tmp_path / "台账.csv").write_text("证号\n", encoding="utf-8")  # for the listing only
    listing = ledger(tmp_path, "import", "台账.csv", "--type", "list", "--issuer", "-",
                     "--keys", ".ledger/keys", "--dry-run")
    assert listing.returncode == 2 and len(listing.stderr.splitlines()) == 1, listing.stderr
    food = re.search(r"(\w{21}) 食品经营许可证 \(issuer (\w{18})\)", listing.stderr)
    assert food is not None, listing.stderr
    placeholder = "T=11320581…002; I=11320581…"
    assert placeholder in block
    script = block.replace("L=.venv/bin/ledger", f"L='{sys.executable} -m commands.cli.main'")
    script = script.replace(placeholder, f"T={food[1]}; I={food[2]}")
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    out, err = run.stdout, run.stderr
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no such licence type" in errors[0], err  # the listing
    assert re.search(r"^issued now\t1$", err, re.M) and re.search(
        r"^issued before \(skipped\)\t1$", err, re.M), err
    assert '{"rows":3,"valid":1,"invalid":2,' in out
    for row, code in ((2, "date_normalised"), (3, "damaged_number"), (4, "duplicate_in_file")):
        assert re.search(rf"^{row}\t[^\t]+\t\w+\t{code}\t", out, re.M), out
    assert (tmp_path / "findings.xlsx").stat().st_size > 0
    rows = [line.split("\t") for line in (tmp_path / "reconcile.txt").read_text().splitlines()]
    assert any(r[:2] == [food[2], food[1]] for r in rows), (rows, err)
    assert out.rstrip().endswith("\taccepted"), out  # the finding closed as explained
