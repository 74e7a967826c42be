"""Refusals of use by holder consent and delegation (Art. 19), of public queries
(Art. 17) and of unknown licences, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ledger.domain.identifiers import make_licence_identifier
from projections.models.use_queries import get_access_log
from tests.integration.use_town import (
    MATTER,
    OTHER_MATTER,
    Town,
    allowed,
    refused_and_recorded,
)


# -- use by holder consent and delegation ---------------------------------------------------
def test_consent_given_to_a_used_by_b(town: Town) -> None:
    ident, other = town.ident("001"), town.ident("001", 1)
    town.accept(town.consent("K-1", ident, town.a))
    kw: dict[str, Any] = {"command_type": "DownloadLicence", "mode": "consent",
                          "matter": OTHER_MATTER}
    refused_and_recorded(town, town.read(town.b, ident, "K-1", case="C-1", **kw), "wrong_party",
                         ident)
    # The right party, but another licence than the one consented to.
    refused_and_recorded(town, town.read(town.a, other, "K-1", case="C-2", **kw), "wrong_party",
                         other)
    result = allowed(town, town.read(town.a, ident, "K-1", case="C-3", **kw))
    assert result.data is not None and result.data["face"]  # consent shows the whole face


def test_consent_rights_are_exactly_those_granted(town: Town) -> None:
    ident = town.ident("002")
    town.accept(town.consent("K-DL", ident, town.a, rights=["download"]))
    kw: dict[str, Any] = {"mode": "consent", "matter": OTHER_MATTER}
    refused_and_recorded(town, town.read(town.a, ident, "K-DL", command_type="ViewLicence",
                                         case="C-1", **kw), "right_not_granted", ident)
    refused_and_recorded(town, town.read(town.a, ident, "K-DL", command_type="VerifyLicence",
                                         case="C-2", **kw), "right_not_granted", ident)
    # An annotated copy needs the view right.
    annotate = town.read(town.a, ident, "K-DL", command_type="AnnotateLicence", case="C-3",
                         copy_id="copy-1", recipient="某银行", valid_until=town.day(10), **kw)
    refused_and_recorded(town, annotate, "right_not_granted", ident)
    allowed(town, town.read(town.a, ident, "K-DL", command_type="DownloadLicence", case="C-4",
                            **kw))


def test_consent_for_another_matter(town: Town) -> None:
    ident = town.ident("001")
    town.accept(town.consent("K-1", ident, town.a))
    refused_and_recorded(town, town.read(town.a, ident, "K-1", command_type="DownloadLicence",
                                         mode="consent", matter=MATTER, case="C-1"),
                         "matter_not_granted", ident)


def test_revoked_and_expired_consent(town: Town) -> None:
    ident = town.ident("001")
    town.accept(town.consent("K-1", ident, town.a))
    town.accept(town.consent("K-2", ident, town.a, valid_until=town.day(0)))
    kw: dict[str, Any] = {"command_type": "DownloadLicence", "mode": "consent",
                          "matter": OTHER_MATTER}
    town.ok(town.platform, "RevokeGrant", {"grant_id": "K-1", "reason": "holder withdrew"})
    refused_and_recorded(town, town.read(town.a, ident, "K-1", case="C-1", **kw),
                         "grant_revoked", ident)
    town.clock.advance(days=1)
    refused_and_recorded(town, town.read(town.a, ident, "K-2", case="C-2", **kw),
                         "grant_expired", ident)


def test_delegation_needs_the_agent_it_names(town: Town) -> None:
    """Through the platform that authenticated the agent (tests/integration/test_who_signs*
    refuse every other signer)."""
    ident = town.ident("003")
    agent = "320581199001011234"
    town.ok(town.platform, "DelegateUse", {
        "grant_id": "D-1", "identifier": ident, "holder_code": town.s.holder_of(ident),
        "agent_name": "代理人", "agent_code": agent, "matter_code": OTHER_MATTER,
        "valid_from": town.day(0), "valid_until": town.day(7)})
    kw: dict[str, Any] = {"mode": "delegation", "matter": OTHER_MATTER,
                          "agent_auth": "biometric"}
    p = town.platform
    refused_and_recorded(town, town.read(p, ident, "D-1", case="C-1", **kw), "wrong_party",
                         ident)
    refused_and_recorded(town, town.read(p, ident, "D-1", case="C-2",
                                         agent_code="320581199001015678", **kw),
                         "wrong_party", ident)
    refused_and_recorded(town, town.read(p, ident, "D-1", case="C-3", agent_code=agent,
                                         mode="delegation", matter=MATTER,
                                         agent_auth="biometric"),
                         "matter_not_granted", ident)
    allowed(town, town.read(p, ident, "D-1", case="C-4", agent_code=agent, **kw))
    town.ok(town.platform, "RevokeGrant", {"grant_id": "D-1", "reason": "matter closed"})
    refused_and_recorded(town, town.read(p, ident, "D-1", case="C-5", agent_code=agent,
                                         **kw), "grant_revoked", ident)


# -- public disclosure and unknown licences --------------------------------------------------
@pytest.mark.parametrize("suffix", ["003", "004"])  # personal_or_secret, restricted
def test_non_public_licence_queried_publicly(town: Town, suffix: str) -> None:
    ident = town.ident(suffix)
    envelope = town.envelope(town.platform, "QueryPublicRegister",
                             {"identifier": ident, "operator": "public",
                              "purpose": f"public query {suffix}"})
    result = town.run(envelope)
    assert (result.accepted, result.code) == (False, "not_public")
    again = town.run(envelope)
    assert again == replace(result, duplicate=True)
    town.services.projections.catch_up()
    rows = [r for r in get_access_log(town.services.read_db, licence=ident)
            if r["action"] == "public_query"]
    assert [(r["outcome"], r["code"], r["organisation"]) for r in rows] == [
        ("refused", "not_public", town.platform.code)]


def test_public_query_shows_only_the_public_fields(town: Town) -> None:
    ident = town.ident("001")
    result = town.ok(town.platform, "QueryPublicRegister", {"identifier": ident})
    assert result.data is not None
    assert set(result.data["face"]) == {"company_name", "legal_representative"}


def test_public_query_relayed_by_a_non_platform_is_refused_and_recorded(town: Town) -> None:
    refused_and_recorded(town, town.envelope(town.a, "QueryPublicRegister",
                                             {"identifier": town.ident("001")}),
                         "unauthorised")


def test_unknown_licence(town: Town) -> None:
    known = town.lic("001")
    parts = known["identifier"].split(".")
    unknown_serial = str(make_licence_identifier(parts[5], parts[6], "00799999999", 1))
    unknown_version = str(make_licence_identifier(parts[5], parts[6], parts[7], 2))
    for i, ident in enumerate([unknown_serial, unknown_version, "1.2.156.3005.2.BAD"]):
        envelope = town.read(town.a, ident, "G-A", case=f"C-{i}")
        refused_and_recorded(town, envelope, "not_found")
        [row] = town.access_rows(user=town.a.code, case=f"C-{i}")
        assert (row["identifier"], row["type_code"], row["issuer_code"]) == (ident, None, None)
    public = town.envelope(town.platform, "QueryPublicRegister", {"identifier": unknown_serial})
    result = town.run(public)
    assert result.code == "not_found"
    assert town.run(public) == replace(result, duplicate=True)
