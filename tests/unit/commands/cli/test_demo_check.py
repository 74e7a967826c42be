"""The demo's success check is exact (issue 16): each command it means to be refused must
be refused with its code, every other command accepted, and every command answered."""

from __future__ import annotations

from commands.bus.pipeline import Result
from commands.cli.demo import unexpected_outcomes

EXPECTED = {"read-1": "access_refused", "query-1": "not_public"}


def outcomes(**overrides: Result) -> dict[str, Result]:
    results = {
        "issue-1": Result("issue-1", True, command_type="IssueLicence"),
        "read-1": Result("read-1", False, "access_refused", "no", command_type="ViewLicence"),
        "query-1": Result("query-1", False, "not_public", "no",
                          command_type="QueryPublicRegister"),
    }
    results.update(overrides)
    return results


def test_the_intended_refusals_and_nothing_else_pass() -> None:
    assert unexpected_outcomes(outcomes(), EXPECTED) == []


def test_a_command_refused_by_mistake_fails_even_when_the_counts_match() -> None:
    """One intended refusal accepted, one other read refused: the counts are unchanged."""
    problems = unexpected_outcomes(outcomes(
        **{"read-1": Result("read-1", True, command_type="ViewLicence"),
           "issue-1": Result("issue-1", False, "access_refused", "oops",
                             command_type="IssueLicence")}), EXPECTED)
    assert problems == [
        "IssueLicence issue-1 was refused: access_refused: oops",
        "ViewLicence read-1 should be refused with access_refused, but was accepted"]


def test_a_refusal_with_another_code_fails() -> None:
    problems = unexpected_outcomes(outcomes(
        **{"query-1": Result("query-1", False, "unauthorised", "who?",
                             command_type="QueryPublicRegister")}), EXPECTED)
    assert problems == ["QueryPublicRegister query-1 should be refused with not_public, but was"
                        " refused with unauthorised: who?"]


def test_an_unanswered_command_fails() -> None:
    results = outcomes()
    del results["read-1"]
    assert unexpected_outcomes(results, EXPECTED) == [
        "command read-1 (expected to be refused with access_refused) got no result"]
