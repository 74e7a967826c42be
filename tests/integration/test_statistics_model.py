"""Issuance and usage rates (DOMAIN.md §8) after a realistic run, recomputed here from the
commands sent and their answers, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from projections.models.use_queries import get_stats
from tests.integration.read_city import (
    READS,
    USES,
    Sent,
    issued_identifier,
    lineage,
)


# -- statistics -----------------------------------------------------------------------------
def expected_stats(sent: Sent) -> dict[tuple[str, str, str], dict[str, Any]]:
    in_error = {lineage(e["payload"]["identifier"]) for e, _ in sent.accepted("CancelLicence")
                if e["payload"].get("issued_in_error")}
    electronic: Counter[tuple[str, str, str]] = Counter()
    for e, _ in sent.accepted("IssueLicence"):
        p = e["payload"]
        if lineage(issued_identifier(e)) not in in_error:
            electronic[(e["actor"], p["type_code"], p["issue_date"][:7])] += 1
    paper = {(e["actor"], e["payload"]["type_code"], e["payload"]["period"]):
             e["payload"]["issued"] for e, _ in sent.accepted("ReportPaperCount")}
    cases_by_matter = {(e["actor"], e["payload"]["matter_code"], e["payload"]["type_code"],
                        e["payload"]["period"]): e["payload"]["cases"]
                       for e, _ in sent.accepted("ReportCaseCount")}
    # The usage rate's numerator counts the cases its denominator counts: uses in a matter
    # the department reported a case count for (that type, that month), no others.
    uses: dict[tuple[str, str, str], set[tuple[str, str]]] = defaultdict(set)
    for e, day in sent.accepted(*[t for t, a in READS.items() if a in USES]):
        p = e["payload"]
        dept, type_code, period = e["actor"], p["identifier"].split(".")[5], day.strftime("%Y-%m")
        if (dept, p["matter_code"], type_code, period) in cases_by_matter:
            uses[(dept, type_code, period)].add((p["matter_code"], p["case_number"]))
    cases: dict[tuple[str, str, str], int] = defaultdict(int)
    for (dept, _matter, t, period), n in cases_by_matter.items():
        cases[(dept, t, period)] += n
    rows = {}
    for key in {k for k, v in electronic.items() if v} | set(paper) | set(uses) | set(cases):
        e_n, p_n = electronic.get(key, 0), paper.get(key)
        u_n, c_n = len(uses.get(key, ())), cases.get(key)
        rows[key] = {
            "department": key[0], "licence_type": key[1], "period": key[2],
            "electronic_issued": e_n, "paper_issued": p_n,
            "issuance_rate": round(e_n / p_n, 4) if p_n else None,
            "cases_using_electronic": u_n, "cases_requiring": c_n,
            "usage_rate": round(u_n / c_n, 4) if c_n else None}
    return rows


def test_stats_equal_the_rates_computed_from_the_commands(sent: Sent) -> None:
    db = sent.services.read_db
    expected = expected_stats(sent)
    got = get_stats(db, None)
    assert got["period"] is None
    assert {(r["department"], r["licence_type"], r["period"]): r for r in got["rows"]} == expected
    # Every kind of row is there: a rate, a missing denominator, a zero denominator.
    rates = list(expected.values())
    assert any(r["issuance_rate"] is not None and r["issuance_rate"] < 1 for r in rates)
    assert any(r["issuance_rate"] == 1 for r in rates)
    assert any(r["electronic_issued"] and r["paper_issued"] is None for r in rates)
    assert any(r["usage_rate"] is not None for r in rates)
    # Uses in matters without a case-count report happened (a consent download for
    # another matter, a department that never reports); they count in no numerator.
    reported = {(e["actor"], e["payload"]["matter_code"], e["payload"]["type_code"],
                 e["payload"]["period"]) for e, _ in sent.accepted("ReportCaseCount")}
    assert any((e["actor"], e["payload"]["matter_code"], e["payload"]["identifier"].split(".")[5],
                day.strftime("%Y-%m")) not in reported
               for e, day in sent.accepted(*[t for t, a in READS.items() if a in USES]))
    assert any(r["cases_requiring"] == 0 and r["usage_rate"] is None for r in rates)
    for period in {k[2] for k in expected} | {"1999-01"}:
        one = get_stats(db, period)
        assert one["period"] == period
        assert one["rows"] == [expected[k] for k in sorted(expected) if k[2] == period]


def test_issued_in_error_and_versions_do_not_count_as_issued(sent: Sent) -> None:
    rows = get_stats(sent.services.read_db, None)["rows"]
    issued = len(sent.accepted("IssueLicence"))
    in_error = sum(1 for e, _ in sent.accepted("CancelLicence")
                   if e["payload"].get("issued_in_error"))
    assert in_error >= 1 and sent.accepted("ChangeLicence")
    assert sum(r["electronic_issued"] for r in rows) == issued - in_error
