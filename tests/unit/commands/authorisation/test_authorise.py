"""The authorisation policy (commands/authorisation/policy.py), decided without a ledger:
every command type has its rule, and every signer the rule does not name is refused."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from commands.authorisation import policy
from commands.messages.catalog import COMMAND_TYPES
from commands.messages.core import (
    STATUS_ACTIONS,
    RegisterDepartmentKey,
    RevokeDepartmentKey,
    RotateDepartmentKey,
    SetUsageList,
)
from commands.messages.files import RegisterFileCertificate
from ledger.domain.access import AGENT_AUTH_METHODS
from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.departments import ROLES, Department
from ledger.domain.licence import VALID, Licence
from ledger.errors import AccessRefusedError, NotFoundError, UnauthorisedError

ISSUER, OTHER, MANAGER = "11320581MB0000001A", "11320581MB0000002B", "11320581MB0000009X"
KEY = "A" * 43 + "="
FINGERPRINT = "ab" * 32


def dept(*roles: str, code: str = OTHER) -> Department:
    return Department(code, f"department {code[-3:]}", roles, "320581")


def entry(*issuers: str) -> CatalogueEntry:
    return CatalogueEntry("11320581MB0000009X001", 3, {"name": "营业执照", "issuers": issuers})


def licence(issuer: str = ISSUER) -> Licence:
    identifier = f"320581.2026.11.0001.01.11320581MB0000009X001.{issuer}.S1.001.X"
    return Licence("11320581MB0000009X001", issuer, "S1", identifier, 1, 3, VALID,
                   {"holders": ({"code": "H1", "code_type": "001", "name": "甲"},)}, None,
                   (identifier,), "01")


class Known:
    """Facts held in memory: the state a rule may ask the bus to load."""

    def __init__(self, entries: tuple[CatalogueEntry, ...] = (),
                 licences: tuple[Licence, ...] = ()) -> None:
        self.entries = {e.type_code: e for e in entries}
        self.licences = {lic.identifier: lic for lic in licences}
        self.asked: list[str] = []

    def entry(self, type_code: str) -> CatalogueEntry:
        self.asked.append(type_code)
        if type_code not in self.entries:
            raise NotFoundError(f"licence type {type_code} is not in the catalogue")
        return self.entries[type_code]

    def licence(self, identifier: str) -> Licence:
        self.asked.append(identifier)
        if identifier not in self.licences:
            raise NotFoundError(f"licence {identifier} is not in the ledger")
        return self.licences[identifier]


NOTHING = Known()


# -- coverage: every command is decided somewhere, and named only where it exists ----------
def test_every_command_type_has_a_rule_before_handling_or_in_the_handler() -> None:
    assert set(policy.BEFORE_HANDLING) | set(policy.IN_HANDLER) == set(COMMAND_TYPES)


def test_the_rules_name_no_command_that_does_not_exist() -> None:
    assert set(policy.BEFORE_HANDLING) <= set(COMMAND_TYPES)
    assert set(policy.IN_HANDLER) <= set(COMMAND_TYPES)


# -- decided before handling: by role ---------------------------------------------------------
BY_ROLE: dict[str, tuple[str, ...]] = {
    "RegisterLicenceType": ("management",), "ReviseLicenceType": ("management",),
    "GrantFunctionalUse": ("management",), "DecideBulkAnalysis": ("management",),
    "GrantHolderConsent": ("platform",), "DelegateUse": ("platform",),
    "RevokeGrant": ("management", "platform"), "ReportCorrection": ("platform", "using"),
    "RequestBulkAnalysis": ("using",), "ReportCaseCount": ("using",),
    "AnswerCorrection": ("issuing",), "ReportPaperCount": ("issuing",),
}
CASES = [(name, role) for name in BY_ROLE for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES)
def test_a_role_rule_admits_exactly_its_roles(name: str, role: str) -> None:
    actor = dept(role)
    if role in BY_ROLE[name]:
        policy.authorise(name, None, actor, NOTHING)
        return
    with pytest.raises(UnauthorisedError) as refused:
        policy.authorise(name, None, actor, NOTHING)
    assert refused.value.code == "unauthorised"
    assert not isinstance(refused.value, AccessRefusedError)
    assert actor.code in refused.value.message


@pytest.mark.parametrize("name", sorted(BY_ROLE))
def test_a_department_without_roles_is_refused_every_role_rule(name: str) -> None:
    with pytest.raises(UnauthorisedError):
        policy.authorise(name, None, dept(), NOTHING)


def test_a_role_refusal_says_what_is_needed_and_what_the_signer_has() -> None:
    with pytest.raises(UnauthorisedError) as refused:
        policy.authorise("RegisterLicenceType", None, dept("issuing", "using"), NOTHING)
    assert refused.value.message == (
        f"registering a licence type needs the management role; department {OTHER}"
        " (department 02B) has issuing, using")
    with pytest.raises(UnauthorisedError, match="has no roles"):
        policy.authorise("ReportCaseCount", None, dept(), NOTHING)


def test_revoking_a_grant_names_both_who_may() -> None:
    with pytest.raises(UnauthorisedError, match=r"management department .* or a platform"):
        policy.authorise("RevokeGrant", None, dept("using", "issuing"), NOTHING)


# -- decided before handling: the department itself, or management -----------------------------
def admin_commands(code: str) -> dict[str, Any]:
    return {
        "RegisterDepartmentKey": RegisterDepartmentKey(code, KEY),
        "RotateDepartmentKey": RotateDepartmentKey(code, "k1", KEY),
        "RevokeDepartmentKey": RevokeDepartmentKey(code, "k1", "lost"),
        "SetUsageList": SetUsageList(code, ()),
        "RegisterFileCertificate": RegisterFileCertificate(code, "-----BEGIN CERTIFICATE-----"),
    }


@pytest.mark.parametrize("name", sorted(admin_commands(ISSUER)))
def test_a_department_administers_itself_whatever_its_roles(name: str) -> None:
    for roles in ((), ("using",), ("platform",)):
        policy.authorise(name, admin_commands(OTHER)[name], dept(*roles), NOTHING)


@pytest.mark.parametrize("name", sorted(admin_commands(ISSUER)))
def test_management_administers_any_department(name: str) -> None:
    policy.authorise(name, admin_commands(ISSUER)[name], dept("management", code=MANAGER),
                     NOTHING)


@pytest.mark.parametrize("name", sorted(admin_commands(ISSUER)))
@pytest.mark.parametrize("roles", [(), ("issuing",), ("using",), ("platform",),
                                   ("issuing", "using", "platform")])
def test_no_other_department_administers_another(name: str, roles: tuple[str, ...]) -> None:
    with pytest.raises(UnauthorisedError) as refused:
        policy.authorise(name, admin_commands(ISSUER)[name], dept(*roles), NOTHING)
    assert f"for department {ISSUER}" in refused.value.message
    assert refused.value.message.endswith(f"not {OTHER}")


@pytest.mark.parametrize("name", sorted(set(policy.IN_HANDLER) - set(policy.BEFORE_HANDLING)))
def test_commands_decided_in_the_handler_pass_the_stage_asking_nothing(name: str) -> None:
    facts = Known()
    policy.authorise(name, None, dept(), facts)
    assert facts.asked == []


# -- decided before handling, with state the bus loads --------------------------------------
ENTRY = entry(ISSUER)
LICENCE = licence()
STATE = (ENTRY,), (LICENCE,)


def issue(type_code: str = ENTRY.type_code) -> Any:
    return SimpleNamespace(type_code=type_code)


def on_licence(identifier: str = LICENCE.identifier, kind: str = "change") -> Any:
    return SimpleNamespace(identifier=identifier, kind=kind)


LICENCE_WRITES = ["ChangeLicence", "RecordLicenceFile", *STATUS_ACTIONS]


def test_a_listed_issuer_issues_the_type() -> None:
    facts = Known(*STATE)
    policy.authorise("IssueLicence", issue(), dept("issuing", code=ISSUER), facts)
    assert facts.asked == [ENTRY.type_code]


@pytest.mark.parametrize("actor", [dept("issuing"), dept("using", code=ISSUER),
                                   dept("management", "using", code=MANAGER)])
def test_nobody_else_issues_the_type(actor: Department) -> None:
    with pytest.raises(UnauthorisedError):
        policy.authorise("IssueLicence", issue(), actor, Known(*STATE))


def test_issuing_a_type_not_in_the_catalogue_is_not_found_before_any_decision() -> None:
    with pytest.raises(NotFoundError):
        policy.authorise("IssueLicence", issue("NOPE"), dept(), Known(*STATE))


@pytest.mark.parametrize("name", LICENCE_WRITES)
def test_the_licences_issuer_writes_it(name: str) -> None:
    facts = Known(*STATE)
    policy.authorise(name, on_licence(), dept(code=ISSUER), facts)
    assert facts.asked == [LICENCE.identifier]


@pytest.mark.parametrize("name", LICENCE_WRITES)
@pytest.mark.parametrize("roles", [(), ("issuing",), ("using", "platform"), ("management",)])
def test_no_other_department_writes_anothers_licence(name: str, roles: tuple[str, ...]) -> None:
    actor = dept(*roles, code=MANAGER if "management" in roles else OTHER)
    if name == "ExpireLicence" and "management" in roles:
        policy.authorise(name, on_licence(), actor, Known(*STATE))  # expiry is the calendar's
        return
    with pytest.raises(UnauthorisedError) as refused:
        policy.authorise(name, on_licence(), actor, Known(*STATE))
    assert f"it was issued by {ISSUER}, and {actor.code} may not" in refused.value.message


@pytest.mark.parametrize("name", LICENCE_WRITES)
def test_a_licence_not_in_the_ledger_is_not_found_before_any_decision(name: str) -> None:
    with pytest.raises(NotFoundError):
        policy.authorise(name, on_licence("X"), dept(code=ISSUER), Known(*STATE))


def test_a_refused_licence_write_names_the_action() -> None:
    with pytest.raises(UnauthorisedError, match=r"^penalty revoke licence"):
        policy.authorise("PenaltyRevokeLicence", on_licence(), dept(), Known(*STATE))
    with pytest.raises(UnauthorisedError, match=r"^renewal licence"):
        policy.authorise("ChangeLicence", on_licence(kind="renewal"), dept(), Known(*STATE))


# -- decided with loaded state ------------------------------------------------------------------
def test_only_management_registers_departments() -> None:
    policy.may_register_department(dept("management"))
    for role in ("issuing", "using", "platform"):
        with pytest.raises(UnauthorisedError, match="registering a department"):
            policy.may_register_department(dept(role))


def test_an_issuer_must_have_the_role_and_be_listed_for_the_type() -> None:
    policy.require_issuer_of_type(dept("issuing"), entry(OTHER))
    with pytest.raises(UnauthorisedError, match="needs the issuing role"):
        policy.require_issuer_of_type(dept("using"), entry(OTHER))
    with pytest.raises(UnauthorisedError, match="not among the issuers") as refused:
        policy.require_issuer_of_type(dept("issuing"), entry(ISSUER))
    assert "catalogue version 3" in refused.value.message


def test_a_grant_is_revoked_by_whoever_may_give_its_kind() -> None:
    policy.may_revoke_grant(dept("management"), functional=True)
    policy.may_revoke_grant(dept("platform"), functional=False)
    with pytest.raises(UnauthorisedError, match="functional grant"):
        policy.may_revoke_grant(dept("platform"), functional=True)
    with pytest.raises(UnauthorisedError, match="holder's grant"):
        policy.may_revoke_grant(dept("management"), functional=False)


def test_a_correction_is_answered_by_its_issuer_only() -> None:
    policy.may_answer_correction(dept("issuing", code=ISSUER), ISSUER, "c-1")
    with pytest.raises(UnauthorisedError, match=f"correction c-1 is for issuer {ISSUER}"):
        policy.may_answer_correction(dept("issuing"), ISSUER, "c-1")


def test_paper_counts_come_from_the_types_issuers() -> None:
    policy.may_report_paper_count(dept("issuing"), entry(ISSUER, OTHER), "T")
    with pytest.raises(UnauthorisedError, match="only its issuers report"):
        policy.may_report_paper_count(dept("issuing"), entry(ISSUER), "T")


def test_quality_findings_are_the_issuers_or_managements() -> None:
    policy.require_issuer_or_management(dept("management"), ISSUER, "closing")
    policy.require_issuer_or_management(dept("issuing", code=ISSUER), ISSUER, "closing")
    for actor in (dept("issuing"), dept("using", code=ISSUER), dept("platform", code=ISSUER)):
        with pytest.raises(UnauthorisedError, match=f"is for issuer {ISSUER}"):
            policy.require_issuer_or_management(actor, ISSUER, "closing")


def test_a_file_is_signed_only_with_the_signers_own_certificate() -> None:
    policy.require_certificate_owner(dept(), OTHER, FINGERPRINT)
    with pytest.raises(UnauthorisedError) as refused:
        policy.require_certificate_owner(dept(), ISSUER, FINGERPRINT)
    assert refused.value.message == (f"certificate {FINGERPRINT[:16]}… is registered to"
                                     f" {ISSUER}, not {OTHER}")


# -- reads: refusals the handler records before it refuses ----------------------------------------
def refused_read(call: Any, *args: Any) -> AccessRefusedError:
    with pytest.raises(AccessRefusedError) as refused:
        call(*args)
    assert not refused.value.recorded  # recording is the handler's, then it re-raises
    return refused.value


def test_only_a_holder_of_the_licence_is_acted_for() -> None:
    policy.require_holder("H1", licence().holders, "L")
    assert refused_read(policy.require_holder, "H2", licence().holders, "L").code == "wrong_party"
    assert refused_read(policy.require_holder, "H1", (), "L").code == "wrong_party"


def test_reading_by_function_needs_the_using_role() -> None:
    policy.may_read_by_function(dept("using"), "view")
    for role in ("management", "issuing", "platform"):
        refusal = refused_read(policy.may_read_by_function, dept(role), "view")
        assert refusal.code == "unauthorised"
        assert refusal.message.startswith("view by government function")


def test_a_platform_acts_for_a_holder_only_attesting_the_real_name() -> None:
    for method in AGENT_AUTH_METHODS:
        policy.may_act_for_holder(dept("platform"), "H1", method)
    for bad in (None, "", "password", AGENT_AUTH_METHODS[0].upper(), "x" * 100):
        refusal = refused_read(policy.may_act_for_holder, dept("platform"), "H1", bad)
        assert refusal.code == "agent_not_authenticated"
        assert len(refusal.message) < 400
    for role in ("management", "issuing", "using"):  # the role first, whatever the attestation
        refusal = refused_read(policy.may_act_for_holder, dept(role), "H1", AGENT_AUTH_METHODS[0])
        assert refusal.code == "unauthorised"


def test_an_issuers_reads_and_figures_are_its_own_or_managements() -> None:
    policy.may_query_issuer(dept("issuing", code=ISSUER), ISSUER)
    policy.may_query_issuer(dept("management", code=MANAGER), ISSUER)
    assert refused_read(policy.may_query_issuer, dept("issuing"), ISSUER).code == "unauthorised"
    assert refused_read(policy.may_query_issuer, dept("using", code=ISSUER), ISSUER).message \
        == f"{ISSUER} has not the issuing role"
    # management asking about itself is an issuer query too: it needs the issuing role
    refused_read(policy.may_query_issuer, dept("management", code=MANAGER), MANAGER)


def test_public_queries_come_through_a_platform() -> None:
    policy.may_query_public_register(dept("platform"))
    for role in ("management", "issuing", "using"):
        assert refused_read(policy.may_query_public_register, dept(role)).code == "unauthorised"


def test_bulk_reads_are_for_using_departments() -> None:
    policy.may_bulk_read(dept("using"))
    for role in ("management", "issuing", "platform"):
        assert refused_read(policy.may_bulk_read, dept(role)).code == "unauthorised"
