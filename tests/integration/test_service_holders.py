"""Signed queries over real HTTP, on SQLite and PostgreSQL: a platform lists a holder's
licences and sees who used them; an issuer sees who read its licences and its figures.
Each query is recorded as an access event, allowed or refused, and replays clean."""

from __future__ import annotations

from typing import Any

import httpx

from commands.demo.scenario import Dept
from commands.replay.run import replay_store
from ledger.domain import streams
from tests.integration.service_fixtures import api, clock
from tests.integration.test_service_commands import assert_problem, post
from tests.integration.use_town import Town

__all__ = ["api", "clock"]  # fixtures, used by name


def holder_query(town: Town, actor: Dept, command_type: str, holder: str,
                 **extra: Any) -> dict[str, Any]:
    payload = {"holder_code": holder, "operator": "窗口-7", "purpose": "持证人查看本人证照",
               **extra}
    return town.envelope(actor, command_type, payload)


def issuer_query(town: Town, actor: Dept, command_type: str, issuer: str,
                 **extra: Any) -> dict[str, Any]:
    return town.envelope(actor, command_type, {"issuer_code": issuer, "operator": "科员",
                                               "purpose": "Art. 27 usage review", **extra})


def issuer_of(town: Town, identifier: str) -> Dept:
    code = identifier.split(".")[6]  # the issuing department's code, in the identifier
    return next(d for d in town.s.city.issuers.values() if d.code == code)


def projected(town: Town) -> None:
    """What the projector does on PostgreSQL (``ledger project``; the service catches up
    inline read models itself on SQLite): the queries' answers come from the read models."""
    town.services.projections.catch_up()


def recorded(town: Town, envelope: dict[str, Any]) -> dict[str, Any]:
    [event] = town.services.store.read_stream(streams.access_stream(envelope["command_id"]))
    assert event.type == "AccessRecorded"
    data: dict[str, Any] = event.data
    return data


def test_a_platform_lists_a_holders_licences_and_sees_who_used_them(
        town: Town, api: httpx.Client) -> None:
    ident = town.ident("001")
    holder = town.s.holder_of(ident)
    used = post(api, town.read(town.a, ident, "G-A", command_type="VerifyLicence",
                               case="CASE-HOLDER-1"))
    assert used.status_code == 200, used.text
    projected(town)

    listing = holder_query(town, town.platform, "ListHolderLicences", holder,
                           agent_auth="certificate")
    response = post(api, listing)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["query"], data["holder_code"]) == ("holder_licences", holder)
    assert ident in [lic["identifier"] for lic in data["licences"]]
    assert all(lic["files"] == [] for lic in data["licences"])  # none rendered in this town
    event = recorded(town, listing)
    assert (event["action"], event["mode"], event["outcome"]) == (
        "holder_licences", "holder", "allowed")
    assert (event["organisation"], event["case_number"]) == (town.platform.code, holder)
    assert event["identifier"] is None and event["fields_returned"] == []
    again = post(api, listing)  # an answer lost on the way: the same envelope again
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["data"]["licences"] == data["licences"]
    assert len(town.services.store.read_stream(streams.access_stream(listing["command_id"]))) == 1

    projected(town)
    history = post(api, holder_query(town, town.platform, "GetHolderAccessLog", holder,
                                     agent_auth="biometric"))
    assert history.status_code == 200, history.text
    reads = history.json()["data"]["reads"]
    mine = [r for r in reads if r["case_number"] == "CASE-HOLDER-1"]
    assert [(r["organisation"], r["action"], r["outcome"]) for r in mine] == [
        (town.a.code, "verify", "allowed")]
    assert all(r["identifier"] is not None for r in reads)  # reads of licences only

    # Another holder's listing names none of this holder's licences.
    other = next(lic["holder"] for lic in town.s.issued if lic["holder"] != holder)
    theirs = post(api, holder_query(town, town.platform, "ListHolderLicences", other,
                                    agent_auth="seal")).json()["data"]["licences"]
    assert ident not in [lic["identifier"] for lic in theirs]


def test_holder_queries_are_refused_and_recorded_for_a_non_platform_or_without_attestation(
        town: Town, api: httpx.Client) -> None:
    holder = town.s.holder_of(town.ident("001"))
    for actor in (town.a, town.mgmt, issuer_of(town, town.ident("001"))):
        envelope = holder_query(town, actor, "ListHolderLicences", holder,
                                agent_auth="certificate")
        body = assert_problem(post(api, envelope), 403, "unauthorised")
        assert "data" not in body["result"]
        event = recorded(town, envelope)
        assert (event["outcome"], event["code"]) == ("refused", "unauthorised")
    for auth in ({}, {"agent_auth": "password"}, {"agent_auth": None}):
        envelope = holder_query(town, town.platform, "GetHolderAccessLog", holder, **auth)
        body = assert_problem(post(api, envelope), 403, "agent_not_authenticated")
        assert "data" not in body["result"] and "certificate" in body["detail"]
        assert recorded(town, envelope)["outcome"] == "refused"
    bad = holder_query(town, town.platform, "ListHolderLicences", "x" * 200,
                       agent_auth="certificate")
    assert_problem(post(api, bad), 400, "invalid_command")  # bounded: never recorded
    assert town.services.store.read_stream(streams.access_stream(bad["command_id"])) == []


def test_an_issuer_sees_its_access_log_and_statistics(town: Town, api: httpx.Client) -> None:
    ident = town.ident("001")
    issuer = issuer_of(town, ident)
    read = post(api, town.read(town.a, ident, "G-A", command_type="VerifyLicence",
                               case="CASE-ISSUER-1"))
    assert read.status_code == 200, read.text
    projected(town)

    log = issuer_query(town, issuer, "GetIssuerAccessLog", issuer.code, limit=50)
    response = post(api, log)
    assert response.status_code == 200, response.text
    reads = response.json()["data"]["reads"]
    assert len(reads) <= 50 and all(r["issuer_code"] == issuer.code for r in reads)
    assert [r["organisation"] for r in reads if r["case_number"] == "CASE-ISSUER-1"] == [
        town.a.code]
    event = recorded(town, log)
    assert (event["action"], event["mode"], event["case_number"], event["issuer_code"]) == (
        "issuer_access_log", "issuer", issuer.code, None)

    stats = post(api, issuer_query(town, issuer, "GetIssuerStatistics", issuer.code))
    assert stats.status_code == 200, stats.text
    rows = stats.json()["data"]["rows"]
    assert rows and {r["department"] for r in rows} == {issuer.code}
    assert sum(r["electronic_issued"] for r in rows) >= 1
    none = post(api, issuer_query(town, issuer, "GetIssuerStatistics", issuer.code,
                                  period="1999-01"))
    assert none.json()["data"]["rows"] == []
    # Management oversees every issuer (Art. 9).
    assert post(api, issuer_query(town, town.mgmt, "GetIssuerStatistics",
                                  issuer.code)).status_code == 200


def test_issuer_queries_are_refused_for_another_department(town: Town,
                                                           api: httpx.Client) -> None:
    issuer = issuer_of(town, town.ident("001"))
    other = next(d for d in town.s.city.issuers.values() if d.code != issuer.code)
    for actor, command_type in ((other, "GetIssuerAccessLog"), (town.a, "GetIssuerStatistics"),
                                (town.platform, "GetIssuerAccessLog")):
        envelope = issuer_query(town, actor, command_type, issuer.code)
        body = assert_problem(post(api, envelope), 403, "unauthorised")
        assert "data" not in body["result"] and issuer.code in body["detail"]
        assert recorded(town, envelope)["outcome"] == "refused"
    # A using department naming itself is no issuer either.
    itself = issuer_query(town, town.a, "GetIssuerAccessLog", town.a.code)
    assert_problem(post(api, itself), 403, "unauthorised")
    bad = issuer_query(town, issuer, "GetIssuerStatistics", issuer.code, period="last year")
    assert_problem(post(api, bad), 400, "invalid_command")


def test_signed_queries_replay_clean(town: Town, api: httpx.Client) -> None:
    holder = town.s.holder_of(town.ident("001"))
    issuer = issuer_of(town, town.ident("001"))
    projected(town)
    for envelope in (
            holder_query(town, town.platform, "ListHolderLicences", holder,
                         agent_auth="certificate"),
            holder_query(town, town.platform, "GetHolderAccessLog", holder),
            holder_query(town, town.a, "GetHolderAccessLog", holder, agent_auth="seal"),
            issuer_query(town, issuer, "GetIssuerAccessLog", issuer.code),
            issuer_query(town, town.b, "GetIssuerStatistics", issuer.code)):
        assert post(api, envelope).status_code in (200, 403)
    report = replay_store(town.services.store)
    assert report.ok, report.divergence
