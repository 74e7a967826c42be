"""Red-team findings on the audit's words: a report must show what differs.

A leaf hash altered only past its 16th hex digit was reported as "hashing to X…, but …
hashing to X…", the same text twice, so the reader could not see what was wrong.
"""

from __future__ import annotations

import json
from typing import Any

from commands.bootstrap import Services
from tests.integration.test_tail_cuts_leaf_table import _leaves, logged, run

__all__ = ["logged", "run"]  # fixtures, used by name


def test_a_leaf_hash_altered_past_its_first_digits_is_reported_with_both_hashes(
        services: Services, logged: int, run: Any) -> None:
    ((held,),) = services.read_db.query(
        "SELECT leaf_hash FROM transparency_leaves WHERE leaf_index = 3")
    altered = held[:-1] + ("0" if held[-1] != "0" else "1")
    _leaves(services, "UPDATE transparency_leaves SET leaf_hash = ? WHERE leaf_index = 3",
            altered)

    code, out, _ = run("audit", "--json")
    assert code == 1
    reasons = [p["reason"] for p in json.loads(out)["errors"]
               if "transparency leaf table" in p["reason"]]
    assert len(reasons) == 1, reasons
    assert f"hashing to {altered}, but" in reasons[0]
    assert f"hashing to {held}: the table is not the events" in reasons[0]
