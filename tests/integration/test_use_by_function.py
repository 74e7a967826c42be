"""Refusals of use by government function (Art. 15-18): usage list, grant, window, cap,
party, on SQLite and PostgreSQL. See tests.integration.use_town for what a refusal leaves.
"""

from __future__ import annotations

from dataclasses import replace

from tests.integration.use_town import (
    MATTER,
    OTHER_MATTER,
    Town,
    allowed,
    refused_and_recorded,
)


# -- use by government function ------------------------------------------------------------
def test_type_not_on_the_usage_list(town: Town) -> None:
    town.ok(town.b, "SetUsageList", {"code": town.b.code, "entries": [
        {"type_code": town.t("001"), "scenarios": [MATTER]}]})
    ident = town.ident("002")
    result = refused_and_recorded(town, town.read(town.b, ident, "G-B", case="C-1"),
                                  "not_in_usage_list", licence=ident)
    assert town.t("002") in (result.message or "")
    allowed(town, town.read(town.b, town.ident("001"), "G-B", case="C-2"))
    # A department with no usage list at all (the market regulator also uses licences).
    town.accept(town.grant("G-M", town.issuer("market")))
    refused_and_recorded(town, town.read(town.issuer("market"), ident, "G-M", case="C-3"),
                         "not_in_usage_list", licence=ident)


def test_matter_not_among_the_usage_lists_scenarios(town: Town) -> None:
    ident = town.ident("001")
    result = refused_and_recorded(town, town.read(town.a, ident, "G-A", matter="MATTER-999",
                                                  case="C-1"), "not_in_usage_list", ident)
    assert "MATTER-999" in (result.message or "")


def test_no_grant(town: Town) -> None:
    ident = town.ident("001")
    refused_and_recorded(town, town.read(town.a, ident, "G-NONE", case="C-1"), "no_grant", ident)


def test_expired_grant(town: Town) -> None:
    town.accept(town.grant("G-SHORT", town.a, valid_until=town.day(0)))
    ident = town.ident("002")
    allowed(town, town.read(town.a, ident, "G-SHORT", case="C-1"))
    town.clock.advance(days=1)
    refused_and_recorded(town, town.read(town.a, ident, "G-SHORT", case="C-2"),
                         "grant_expired", ident)


def test_grant_not_yet_valid_is_refused(town: Town) -> None:
    town.accept(town.grant("G-LATER", town.a, valid_from=town.day(2), valid_until=town.day(9)))
    ident = town.ident("002")
    refused_and_recorded(town, town.read(town.a, ident, "G-LATER", case="C-1"),
                         "grant_not_yet_valid", ident)
    town.clock.advance(days=2)
    allowed(town, town.read(town.a, ident, "G-LATER", case="C-2"))


def test_revoked_grant(town: Town) -> None:
    ident = town.ident("001")
    allowed(town, town.read(town.a, ident, "G-A", case="C-1"))
    town.ok(town.mgmt, "RevokeGrant", {"grant_id": "G-A", "reason": "department reorganised"})
    result = refused_and_recorded(town, town.read(town.a, ident, "G-A", case="C-2"),
                                  "grant_revoked", ident)
    assert "department reorganised" in (result.message or "")


def test_daily_cap_is_enforced_within_a_batch_and_resets_the_next_day(town: Town) -> None:
    town.accept(town.grant("G-CAP", town.a, daily_cap=2))
    ident = town.ident("001")
    batch = [town.read(town.a, ident, "G-CAP", command_type=kind, case=f"C-{i}")
             for i, kind in enumerate(("VerifyLicence", "DownloadLicence", "ViewLicence"))]
    results = town.services.bus.execute(batch)
    assert [(r.accepted, r.code) for r in results] == [(True, None), (True, None),
                                                       (False, "cap_exceeded")]
    again = town.run(batch[2])
    assert again == replace(results[2], duplicate=True)
    refused_and_recorded(town, town.read(town.a, ident, "G-CAP", case="C-3"), "cap_exceeded",
                         ident)
    # Refused reads did not use the cap up; another grant has its own counter.
    allowed(town, town.read(town.a, ident, "G-A", case="C-4"))
    town.clock.advance(days=1)
    allowed(town, town.read(town.a, ident, "G-CAP", case="C-5"))
    allowed(town, town.read(town.a, ident, "G-CAP", case="C-6"))
    refused_and_recorded(town, town.read(town.a, ident, "G-CAP", case="C-7"), "cap_exceeded",
                         ident)


def test_another_departments_functional_grant_is_the_wrong_party(town: Town) -> None:
    ident = town.ident("001")
    refused_and_recorded(town, town.read(town.b, ident, "G-A", case="C-1"), "wrong_party", ident)
    # A holder's consent grant does not serve as a functional grant either.
    town.accept(town.consent("K-1", ident, town.a))
    refused_and_recorded(town, town.read(town.a, ident, "K-1", case="C-2"), "wrong_party", ident)


def test_type_not_covered_by_the_grant(town: Town) -> None:
    town.accept(town.grant("G-001", town.a, type_codes=[town.t("001")],
                            fields=["company_name"]))
    refused_and_recorded(town, town.read(town.a, town.ident("002"), "G-001", case="C-1"),
                         "type_not_granted", town.ident("002"))


def test_matter_on_the_usage_list_but_not_in_the_grant(town: Town) -> None:
    town.ok(town.a, "SetUsageList", {"code": town.a.code, "entries": [
        {"type_code": town.t("001"), "scenarios": [MATTER, OTHER_MATTER]}]})
    ident = town.ident("001")
    refused_and_recorded(town, town.read(town.a, ident, "G-A", matter=OTHER_MATTER, case="C-1"),
                         "matter_not_granted", ident)
    allowed(town, town.read(town.a, ident, "G-A", matter=MATTER, case="C-2"))


def test_function_use_by_a_department_without_the_using_role_is_recorded(town: Town) -> None:
    ident = town.ident("003")
    health = town.issuer("health")  # issues 003 but is not a using department
    refused_and_recorded(town, town.read(health, ident, "G-A", case="C-1"), "unauthorised",
                         ident)
