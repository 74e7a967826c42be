"""Who may do what: every rule of the authorisation policy, and the "Who must sign" table
(commands/authorisation/policy.py)."""

from __future__ import annotations

import pytest

from commands.authorisation.policy import (
    WHO_MUST_SIGN,
    require_catalogue_owner,
    require_department_admin,
    require_issuer_of_type,
    require_licence_issuer,
    require_role,
)
from commands.cli.docs_gen import who_must_sign_markdown
from commands.messages.catalog import COMMAND_TYPES
from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.departments import Department
from ledger.domain.licence import Licence
from ledger.errors import UnauthorisedError

MGMT = Department("M", "管理部门", ("management",), "320500")
ISSUER = Department("I", "发证部门", ("issuing",), "320581")
OTHER_ISSUER = Department("J", "另一发证部门", ("issuing",), "320581")
USER = Department("U", "用证部门", ("using",), "320581")
NOBODY = Department("N", "无角色", (), "320581")
ENTRY = CatalogueEntry("T", 3, {"name": "营业执照", "issuers": ("I",)})
LICENCE = Licence("T", "I", "S", "1.2.156.3005.2.T.I.S.001.X", 1, 3, "01", {}, None,
                  ("1.2.156.3005.2.T.I.S.001.X",), "01")


def refusal(action: object) -> str:
    with pytest.raises(UnauthorisedError) as info:
        action()  # type: ignore[operator]
    assert info.value.code == "unauthorised"
    return info.value.message


def test_a_role_is_required_and_the_refusal_names_what_the_actor_has() -> None:
    require_role(ISSUER, "issuing", "issuing")
    message = refusal(lambda: require_role(USER, "issuing", "IssueLicence"))
    assert message == "IssueLicence needs the issuing role; department U (用证部门) has using"
    assert "has no roles" in refusal(lambda: require_role(NOBODY, "using", "reading"))


def test_only_management_keeps_the_catalogue() -> None:
    require_catalogue_owner(MGMT, "RegisterLicenceType")
    for actor in (ISSUER, USER, NOBODY):
        assert "needs the management role" in refusal(
            lambda a=actor: require_catalogue_owner(a, "RegisterLicenceType"))


def test_a_department_administers_itself_and_management_any() -> None:
    require_department_admin(ISSUER, "I", "SetUsageList")
    require_department_admin(MGMT, "I", "SetUsageList")
    message = refusal(lambda: require_department_admin(OTHER_ISSUER, "I", "RotateDepartmentKey"))
    assert "RotateDepartmentKey for department I" in message and "not J" in message
    refusal(lambda: require_department_admin(USER, "I", "SetUsageList"))


def test_an_issuer_issues_only_the_types_listing_it() -> None:
    require_issuer_of_type(ISSUER, ENTRY)
    message = refusal(lambda: require_issuer_of_type(OTHER_ISSUER, ENTRY))
    assert "J is not among the issuers of licence type T (营业执照)" in message
    assert "catalogue version 3" in message
    # Listed, but without the issuing role: the role is checked first.
    listed_user = Department("I", "改为用证", ("using",), "320581")
    assert "needs the issuing role" in refusal(lambda: require_issuer_of_type(listed_user, ENTRY))
    assert "needs the issuing role" in refusal(lambda: require_issuer_of_type(MGMT, ENTRY))


def test_only_the_issuer_changes_its_licences() -> None:
    require_licence_issuer(ISSUER, LICENCE, "ChangeLicence")
    message = refusal(lambda: require_licence_issuer(OTHER_ISSUER, LICENCE, "SuspendLicence"))
    assert message.startswith(f"SuspendLicence licence {LICENCE.identifier}: it was issued by I")
    refusal(lambda: require_licence_issuer(MGMT, LICENCE, "ChangeLicence"))


def test_management_acts_on_licences_only_where_allowed() -> None:
    require_licence_issuer(MGMT, LICENCE, "ExpireLicence", management_too=True)
    refusal(lambda: require_licence_issuer(USER, LICENCE, "ExpireLicence", management_too=True))


def test_every_command_type_is_in_the_who_must_sign_table() -> None:
    named = [name for names, _, _ in WHO_MUST_SIGN for name in names]
    reads = {"VerifyLicence", "ViewLicence", "DownloadLicence", "AnnotateLicence"}
    once = [n for n in named if n not in reads]
    assert len(once) == len(set(once)), "a command type is listed twice"
    assert set(named) == set(COMMAND_TYPES), set(named) ^ set(COMMAND_TYPES)
    assert all(who and codes for _, who, codes in WHO_MUST_SIGN)


def test_the_table_renders_one_markdown_row_per_entry() -> None:
    text = who_must_sign_markdown()
    assert text.startswith("## Who must sign\n") and text.endswith("|\n")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| command | who must sign | refused otherwise with |"
    assert len(rows) == 1 + len(WHO_MUST_SIGN)
    assert "| IssueLicence | the issuing role" in text
