"""Who may read (docs/commands.md, "Who must sign"): by function, by holder consent, the
public register and bulk reads. Each refused signer leaves only its refused read.

Delegations have their own file (test_who_signs_delegation.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.use_town import MATTER, OTHER_MATTER, Town, allowed
from tests.integration.who_signs import refused_read, refused_write

READS = ("VerifyLicence", "ViewLicence", "DownloadLicence", "AnnotateLicence")
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _read(town: Town, actor: Any, ident: str, grant: str, command_type: str, case: str,
          **kw: Any) -> dict[str, Any]:
    if command_type == "AnnotateLicence":
        kw = {"copy_id": f"copy-{case}", "recipient": "某银行", "valid_until": town.day(5),
              **kw}
    return town.read(actor, ident, grant, command_type=command_type, case=case, **kw)


# -- by government function -----------------------------------------------------------------
def test_by_function_only_the_using_department_the_grant_names(town: Town) -> None:
    ident = town.ident("001")
    for command_type in READS:
        for actor in (town.issuer("health"), town.platform, town.mgmt):  # no using role
            refused_read(town, _read(town, actor, ident, "G-A", command_type,
                                     f"R-{actor.code}-{command_type}"), "unauthorised", ident)
        refused_read(town, _read(town, town.b, ident, "G-A", command_type,
                                 f"W-{command_type}"), "wrong_party", ident)
    # A consent grant is not a functional grant, even for the department it names.
    town.accept(town.consent("K-A", ident, town.a))
    refused_read(town, town.read(town.a, ident, "K-A", case="K-1"), "wrong_party", ident)


@sqlite_only
def test_by_function_a_using_role_without_a_usage_list(town: Town) -> None:
    """The market regulator has the using role but no usage list, and no grant of its own:
    the usage list (Art. 18) is judged first, whoever's grant it names."""
    ident = town.ident("001")
    market = town.issuer("market")
    refused_read(town, town.read(market, ident, "G-A", case="M-1"), "not_in_usage_list", ident)


@sqlite_only
def test_by_function_a_revoked_or_not_yet_valid_grant(town: Town) -> None:
    ident = town.ident("002")
    town.accept(town.grant("G-LATER", town.a, valid_from=town.day(3), valid_until=town.day(9)))
    town.ok(town.mgmt, "RevokeGrant", {"grant_id": "G-A", "reason": "ended"})
    refused_read(town, town.read(town.a, ident, "G-A", case="C-1"), "grant_revoked", ident)
    refused_read(town, town.read(town.a, ident, "G-LATER", case="C-2"), "grant_not_yet_valid",
                 ident)
    refused_read(town, town.read(town.a, ident, "G-LATER", matter=OTHER_MATTER, case="C-3"),
                 "not_in_usage_list", ident)


# -- by holder consent ----------------------------------------------------------------------
def test_a_consent_is_used_only_by_the_department_it_names(town: Town) -> None:
    ident = town.ident("001")
    town.accept(town.consent("K-A", ident, town.a, rights=["verify", "view", "download"]))
    kw: dict[str, Any] = {"mode": "consent", "matter": OTHER_MATTER}
    signers = (town.b, town.issuer("health"), town.issuer("market"), town.platform, town.mgmt)
    for command_type in READS:
        for actor in signers:
            refused_read(town, _read(town, actor, ident, "K-A", command_type,
                                     f"C-{actor.code}-{command_type}", **kw),
                         "wrong_party", ident)
        allowed(town, _read(town, town.a, ident, "K-A", command_type, f"OK-{command_type}",
                            **kw))


@sqlite_only
def test_a_consent_within_its_matter_window_and_rights(town: Town) -> None:
    ident = town.ident("001")
    town.accept(town.consent("K-A", ident, town.a))  # verify and download
    town.accept(town.consent("K-LATER", ident, town.a, valid_from=town.day(2)))
    town.accept(town.consent("K-TODAY", ident, town.a, valid_until=town.day(0)))
    town.accept(town.consent("K-REV", ident, town.a))
    town.ok(town.platform, "RevokeGrant", {"grant_id": "K-REV", "reason": "holder withdrew"})
    kw: dict[str, Any] = {"mode": "consent", "command_type": "DownloadLicence"}
    a = town.a
    refused_read(town, town.read(a, ident, "K-A", matter=MATTER, case="C-1", **kw),
                 "matter_not_granted", ident)
    refused_read(town, town.read(a, ident, "K-A", matter=OTHER_MATTER, case="C-2",
                                 mode="consent"), "right_not_granted", ident)  # a view
    refused_read(town, town.read(a, ident, "K-LATER", matter=OTHER_MATTER, case="C-3", **kw),
                 "grant_not_yet_valid", ident)
    refused_read(town, town.read(a, ident, "K-REV", matter=OTHER_MATTER, case="C-4", **kw),
                 "grant_revoked", ident)
    refused_read(town, town.read(a, ident, "K-NONE", matter=OTHER_MATTER, case="C-5", **kw),
                 "no_grant", ident)
    town.clock.advance(days=1)
    refused_read(town, town.read(a, ident, "K-TODAY", matter=OTHER_MATTER, case="C-6", **kw),
                 "grant_expired", ident)
    # A consent for one licence does not reach the holder's other licence of the type.
    other = town.ident("001", 1)
    refused_read(town, town.read(a, other, "K-A", matter=OTHER_MATTER, case="C-7", **kw),
                 "wrong_party", other)


# -- the public register and bulk reads -----------------------------------------------------
def test_public_queries_are_relayed_by_a_platform_only(town: Town) -> None:
    ident = town.ident("001")
    for actor in (town.a, town.issuer("market"), town.mgmt):
        refused_read(town, town.envelope(actor, "QueryPublicRegister", {
            "identifier": ident, "purpose": f"asked by {actor.code}"}), "unauthorised")
    allowed(town, town.envelope(town.platform, "QueryPublicRegister", {"identifier": ident}))


@sqlite_only
def test_bulk_analysis_request_decision_and_read(town: Town) -> None:
    t1 = town.t("001")
    request = {"request_id": "R-1", "type_codes": [t1], "purpose": "analysis"}
    for actor in (town.issuer("health"), town.platform, town.mgmt):
        refused_write(town, town.envelope(actor, "RequestBulkAnalysis", request),
                      "unauthorised")
    town.ok(town.a, "RequestBulkAnalysis", request)
    decision = {"request_id": "R-1", "approved": True, "reason": "ok"}
    for actor in (town.a, town.b, town.issuer("market"), town.platform):
        refused_write(town, town.envelope(actor, "DecideBulkAnalysis", decision),
                      "unauthorised")
    town.ok(town.mgmt, "DecideBulkAnalysis", decision)
    for actor in (town.a, town.platform):  # once decided, still not theirs to decide
        refused_write(town, town.envelope(actor, "DecideBulkAnalysis", decision),
                      "unauthorised")
    refused_read(town, town.bulk(town.b, "R-1", t1, "B-1"), "no_approval")
    for i, actor in enumerate((town.issuer("health"), town.platform, town.mgmt)):
        refused_read(town, town.bulk(actor, "R-1", t1, f"B-R{i}"), "unauthorised")
    allowed(town, town.bulk(town.a, "R-1", t1, "B-OK"))
