"""Who may do what (Art. 7-9, 15, 18): checks that raise :class:`UnauthorisedError`.

Authentication (is the signature the actor's, with a key valid when it signed) is in
:mod:`commands.signed.authenticate`; this module only answers whether an authenticated
department may perform an action on an object.
"""

from __future__ import annotations

from ledger.domain.access import AGENT_AUTH_METHODS
from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.departments import Department
from ledger.domain.licence import Licence
from ledger.errors import UnauthorisedError


def require_role(actor: Department, role: str, action: str) -> None:
    if not actor.has_role(role):
        raise UnauthorisedError(
            f"{action} needs the {role} role; department {actor.code} ({actor.name}) has"
            f" {', '.join(actor.roles) or 'no roles'}"
        )


def require_catalogue_owner(actor: Department, action: str) -> None:
    """The management department keeps the catalogue (Art. 9)."""
    require_role(actor, "management", action)


def require_department_admin(actor: Department, target_code: str, action: str) -> None:
    """A department manages its own keys and usage list; management may act for any."""
    if actor.code != target_code and not actor.has_role("management"):
        raise UnauthorisedError(
            f"{action} for department {target_code}: only that department or the"
            f" management department may do this, not {actor.code}"
        )


def require_issuer_of_type(actor: Department, entry: CatalogueEntry) -> None:
    """A department issues only types whose catalogue entry lists it (Art. 7, 9)."""
    require_role(actor, "issuing", f"issuing {entry.name}")
    if actor.code not in entry.issuers:
        raise UnauthorisedError(
            f"department {actor.code} is not among the issuers of licence type"
            f" {entry.type_code} ({entry.name}) in catalogue version {entry.version}"
        )


def require_licence_issuer(actor: Department, licence: Licence, action: str,
                           *, management_too: bool = False) -> None:
    """Only the issuing department changes its own licences (Art. 7, 11)."""
    if actor.code == licence.issuer_code:
        return
    if management_too and actor.has_role("management"):
        return
    raise UnauthorisedError(
        f"{action} licence {licence.identifier}: it was issued by {licence.issuer_code},"
        f" and {actor.code} may not change another department's licences"
    )


# -- "Who must sign": the table docs/commands.md shows; a test checks every command type is
# in it once and the tests/integration/test_who_signs*.py files refuse each other signer. ----
_LICENCE_WRITES = ("ChangeLicence", "SuspendLicence", "EndSuspension", "CancelLicence",
                   "RevokeLicence", "PenaltyRevokeLicence", "TransferLicenceOut",
                   "CancelTransferOut", "SetLicenceStatusOther")
_READS = ("VerifyLicence", "ViewLicence", "DownloadLicence", "AnnotateLicence")
_HOLDER_GRANT = ("the grant is live (`no_grant`, `grant_revoked`, `grant_not_yet_valid`,"
                 " `grant_expired`), covers the action (`right_not_granted`) and the matter"
                 " (`matter_not_granted`)")
_AUTH_METHODS = ", ".join(f"`{m}`" for m in AGENT_AUTH_METHODS)
WHO_MUST_SIGN: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("RegisterLicenceType", "ReviseLicenceType"), "a department with the management role",
     "`unauthorised`"),
    (("RegisterDepartment",), "management; the very first command: the management department"
     " itself, with the key it registers", "`unauthorised` (first: `unknown_actor`,"
     " `unknown_key`)"),
    (("RegisterDepartmentKey", "RotateDepartmentKey", "RevokeDepartmentKey", "SetUsageList",
      "RegisterFileCertificate"), "the department named in `code`, or management",
     "`unauthorised`"),
    (("IssueLicence",), "the issuing role, and listed among the issuers of the type in the"
     " catalogue entry; the licence is issued in the signer's own name", "`unauthorised`"),
    (_LICENCE_WRITES, "the licence's issuer (the department whose code is in the"
     " identifier), in every status", "`unauthorised`"),
    (("ExpireLicence",), "the licence's issuer, or management (expiry follows the calendar)",
     "`unauthorised`"),
    (("RecordLicenceFile",), "the licence's issuer, with a file certificate registered to"
     " itself", "`unauthorised`"),
    (("GrantFunctionalUse",), "management; the grantee is a registered using department",
     "`unauthorised`; grantee: `not_found`"),
    (("GrantHolderConsent",), "a platform, attesting the holder's real-name login; the"
     " holder is a holder of the licence; the grantee is a registered using department",
     "`unauthorised`; holder: `wrong_party`; grantee: `not_found`"),
    (("DelegateUse",), "a platform, attesting the holder's real-name login; the holder is a"
     " holder of the licence", "`unauthorised`; holder: `wrong_party`"),
    (("RevokeGrant",), "functional grant: management; consent or delegation: a platform"
     " (a holder may withdraw through any trusted platform)", "`unauthorised`"),
    (_READS, "`mode: function`: the using role, a functional grant to the signer, the type"
     " (and matter) on the signer's usage list", "`unauthorised` (role), `wrong_party`"
     " (another's grant), `not_in_usage_list`, `type_not_granted`, `matter_not_granted`"),
    (_READS, "`mode: consent`: the department the holder's consent names, for this"
     f" licence; {_HOLDER_GRANT}", "`wrong_party` (another grantee, licence or grant kind)"),
    (_READS, "`mode: delegation`: the delegate, either signing with its own registered key"
     " or through a platform whose read names it in `agent_code` and says in `agent_auth`"
     f" how its real name was authenticated ({_AUTH_METHODS}); {_HOLDER_GRANT}",
     "`unauthorised` (neither the delegate nor a platform),"
     " `wrong_party` (another agent, licence or grant kind), `agent_not_authenticated`"),
    (("MakeAnnotatedCopy",), "as AnnotateLicence, with a file certificate registered to the"
     " signer", "as AnnotateLicence; certificate: `unauthorised`"),
    (("QueryPublicRegister",), "a platform (the public portal)", "`unauthorised`"),
    (("VerifyLicenceFile",), "any registered department (the verifier is recorded)", "—"),
    (("RequestBulkAnalysis",), "the using role", "`unauthorised`"),
    (("DecideBulkAnalysis",), "management", "`unauthorised`"),
    (("BulkRead",), "the using role, and the department whose request was approved",
     "`unauthorised`, `no_approval`"),
    (("ReportCorrection",), "a platform (for a holder) or the using role", "`unauthorised`"),
    (("AnswerCorrection",), "the issuing role, and the issuer the report is addressed to",
     "`unauthorised`"),
    (("ReportPaperCount",), "the issuing role, and listed among the issuers of the type",
     "`unauthorised`"),
    (("ReportCaseCount",), "the using role", "`unauthorised`"),
    (("ListHolderLicences", "GetHolderAccessLog"), "a platform, attesting in `agent_auth` how"
     f" it authenticated the holder's real name ({_AUTH_METHODS})",
     "`unauthorised`, `agent_not_authenticated`"),
    (("DownloadHolderLicence",), "a platform, attesting in `agent_auth` how it authenticated"
     " the holder's real name; the holder is a holder of the licence",
     "`unauthorised`, `agent_not_authenticated`; licence: `not_found`; holder: `wrong_party`"),
    (("GetIssuerAccessLog", "GetIssuerStatistics"), "the issuer named in `issuer_code` (with"
     " the issuing role), or management", "`unauthorised`"),
    (("RecordQualityFinding", "CloseQualityFinding"), "the issuing department the finding is"
     " about (`issuer_code`), or management", "`unauthorised`"),
)


def who_must_sign_markdown() -> str:
    """The "Who must sign" section of docs/commands.md, from :data:`WHO_MUST_SIGN`."""
    lines = [
        "## Who must sign", "",
        "Every command is first authenticated: the `actor` is a registered department and"
        " `key_id` one of its keys, valid when the command was signed (`unknown_actor`,"
        " `unknown_key`, `bad_signature`, `key_not_valid`, `issued_in_future`). Then the"
        " signing department must be the one below, or the command is refused with the code"
        " shown. A refused read (verify, view, download, annotate, public query, bulk read)"
        " is still recorded as an `AccessRecorded` event with outcome `refused` (Art. 27);"
        " any other refused command writes nothing.", "",
        "Holders and delegates are people and companies, not departments: they act through"
        " a platform department that authenticates them (Art. 16-17, 28). A delegation is"
        " used only by its delegate: a department that names a delegate in `agent_code`"
        " without being a platform is refused, and a platform's read must name the very"
        " delegate of the grant and how it authenticated them (`agent_auth`); the access"
        " record keeps the platform as the organisation and the grant, which names the"
        " delegate. `agent_code` and `agent_auth` are refused (`invalid_command`) on reads"
        " by function or consent.", "",
        "| command | who must sign | refused otherwise with |", "|---|---|---|"]
    for names, who, codes in WHO_MUST_SIGN:
        lines.append(f"| {', '.join(names)} | {who} | {codes} |")
    return "\n".join(lines) + "\n"
