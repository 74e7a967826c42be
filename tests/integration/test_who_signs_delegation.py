"""Who may use a holder's delegation (委托用证, Art. 16-17, 28): only the delegate, with its
own registered key or through a platform attesting its real-name authentication.

The attack these guard against: a department with only the issuing role downloaded a
licence under a ``DelegateUse`` grant just by naming the delegate's ``agent_code``.
"""

from __future__ import annotations

import pytest

from tests.integration.use_town import MATTER, Town, allowed, refused_writes_nothing
from tests.integration.who_signs import (
    AGENT,
    OTHER_AGENT,
    delegated_read,
    delegation,
    department,
    refused_read,
    refused_write,
    written_since,
)

READS = ("VerifyLicence", "ViewLicence", "DownloadLicence", "AnnotateLicence")


def test_a_department_naming_the_agent_is_refused_on_every_read(town: Town) -> None:
    """The reported attack, on both stores: every signer that is neither the delegate nor a
    platform, whatever roles it has and however well it names and attests the agent."""
    ident = town.ident("001")
    town.accept(delegation(town, "D-1", ident))
    signers = (town.issuer("health"), town.issuer("market"), town.a, town.mgmt)
    for i, actor in enumerate(signers):
        for command_type in READS:
            result = refused_read(town, delegated_read(
                town, actor, ident, "D-1", case=f"C-{i}-{command_type}",
                command_type=command_type), "unauthorised", ident)
            assert "neither" in (result.message or "")
    allowed(town, delegated_read(town, town.platform, ident, "D-1", case="C-OK"))


def test_a_platform_must_attest_the_very_delegate(town: Town) -> None:
    ident = town.ident("002")
    town.accept(delegation(town, "D-1", ident))
    p = town.platform
    result = refused_read(town, delegated_read(town, p, ident, "D-1", case="C-1",
                                               agent_code=OTHER_AGENT), "wrong_party", ident)
    assert AGENT not in (result.message or "")  # the delegate's ID number is not given away
    refused_read(town, delegated_read(town, p, ident, "D-1", case="C-2", agent_code=None),
                 "wrong_party", ident)
    # The delegate's code in another case or width is another person's code.
    refused_read(town, delegated_read(town, p, ident, "D-1", case="C-3",
                                      agent_code=AGENT.lower()), "wrong_party", ident)
    result = allowed(town, delegated_read(town, p, ident, "D-1", case="C-4"))
    assert result.data is not None and result.data["face"]  # the holder's whole face


@pytest.mark.parametrize("auth", [None, "sms", "BIOMETRIC", "password", "x" * 64])
def test_a_platform_must_say_how_it_authenticated_the_delegate(town: Town,
                                                               auth: str | None) -> None:
    ident = town.ident("002")
    town.accept(delegation(town, "D-1", ident))
    result = refused_read(town, delegated_read(town, town.platform, ident, "D-1", case="C-1",
                                               agent_auth=auth),
                          "agent_not_authenticated", ident)
    assert len(result.message or "") < 400  # quotes a short prefix of what it was given


def test_an_overlong_authentication_method_is_refused_at_decoding(town: Town) -> None:
    ident = town.ident("002")
    town.accept(delegation(town, "D-1", ident))
    result = refused_writes_nothing(town, delegated_read(
        town, town.platform, ident, "D-1", case="C-1", agent_auth="x" * 300), "invalid_command")
    assert "payload.agent_auth" in (result.message or "") and len(result.message or "") < 400


@pytest.mark.parametrize("auth", ["certificate", "seal", "biometric"])
def test_each_documented_authentication_is_accepted(town: Town, auth: str) -> None:
    ident = town.ident("001")
    town.accept(delegation(town, "D-1", ident))
    allowed(town, delegated_read(town, town.platform, ident, "D-1", case="C-1",
                                 agent_auth=auth))


def test_any_trusted_platform_may_attest_the_delegate(town: Town) -> None:
    ident = town.ident("001")
    town.accept(delegation(town, "D-1", ident))
    second = department(town, "江苏政务服务平台", ("platform",), seed=41)
    allowed(town, delegated_read(town, second, ident, "D-1", case="C-1"))
    refused_read(town, delegated_read(town, second, ident, "D-1", case="C-2",
                                      agent_code=OTHER_AGENT), "wrong_party", ident)


def test_a_delegate_that_is_a_department_signs_with_its_own_key(town: Town) -> None:
    ident = town.ident("001")
    town.accept(delegation(town, "D-B", ident, agent=town.b.code))
    allowed(town, delegated_read(town, town.b, ident, "D-B", case="C-1", agent_code=None,
                                 agent_auth=None))
    allowed(town, delegated_read(town, town.b, ident, "D-B", case="C-2", agent_code=town.b.code,
                                 agent_auth=None))
    refused_read(town, delegated_read(town, town.b, ident, "D-B", case="C-3",
                                      agent_code=AGENT), "wrong_party", ident)
    # Another department naming the delegate department is refused as any other.
    refused_read(town, delegated_read(town, town.a, ident, "D-B", case="C-4",
                                      agent_code=town.b.code), "unauthorised", ident)
    allowed(town, delegated_read(town, town.platform, ident, "D-B", case="C-5",
                                 agent_code=town.b.code))


def test_a_delegation_is_not_a_consent_nor_the_reverse(town: Town) -> None:
    ident = town.ident("001")
    town.accept(delegation(town, "D-1", ident))
    town.accept(town.consent("K-A", ident, town.a))
    as_consent = town.read(town.platform, ident, "D-1", command_type="DownloadLicence",
                           mode="consent", matter=delegation(town, "x", ident)["payload"][
                               "matter_code"], case="C-1")
    refused_read(town, as_consent, "wrong_party", ident)
    refused_read(town, delegated_read(town, town.platform, ident, "K-A", case="C-2"),
                 "wrong_party", ident)
    refused_read(town, delegated_read(town, town.a, ident, "K-A", case="C-3", agent_code=None,
                                      agent_auth=None), "wrong_party", ident)


def test_another_licence_than_the_one_delegated(town: Town) -> None:
    ident, other = town.ident("001"), town.ident("001", 1)
    town.accept(delegation(town, "D-1", ident))
    refused_read(town, delegated_read(town, town.platform, other, "D-1", case="C-1"),
                 "wrong_party", other)


def test_revoked_or_outside_its_window(town: Town) -> None:
    ident = town.ident("001")
    town.accept(delegation(town, "D-REV", ident))
    town.accept(delegation(town, "D-LATER", ident, valid_from=town.day(2),
                           valid_until=town.day(5)))
    town.accept(delegation(town, "D-TODAY", ident, valid_until=town.day(0)))
    town.ok(town.platform, "RevokeGrant", {"grant_id": "D-REV", "reason": "matter closed"})
    p = town.platform
    refused_read(town, delegated_read(town, p, ident, "D-REV", case="C-1"), "grant_revoked",
                 ident)
    refused_read(town, delegated_read(town, p, ident, "D-LATER", case="C-2"),
                 "grant_not_yet_valid", ident)
    refused_read(town, delegated_read(town, p, ident, "D-NONE", case="C-3"), "no_grant", ident)
    town.clock.advance(days=1)
    refused_read(town, delegated_read(town, p, ident, "D-TODAY", case="C-4"), "grant_expired",
                 ident)
    town.clock.advance(days=1)  # D-LATER's first day: only for its own matter
    refused_read(town, delegated_read(town, p, ident, "D-LATER", case="C-5", matter=MATTER),
                 "matter_not_granted", ident)
    allowed(town, delegated_read(town, p, ident, "D-LATER", case="C-6"))
    town.clock.advance(days=4)
    refused_read(town, delegated_read(town, p, ident, "D-LATER", case="C-7"), "grant_expired",
                 ident)


def test_agent_fields_belong_to_delegations_only(town: Town) -> None:
    ident = town.ident("001")
    town.accept(town.consent("K-A", ident, town.a))
    for i, extra in enumerate(({"agent_code": AGENT}, {"agent_auth": "biometric"})):
        head = town.head()
        refused_write(town, town.read(town.a, ident, "G-A", case=f"F-{i}", **extra),
                      "invalid_command")
        refused_write(town, town.read(town.a, ident, "K-A", mode="consent", case=f"K-{i}",
                                      command_type="DownloadLicence", **extra),
                      "invalid_command")
        assert written_since(town, head) == []
