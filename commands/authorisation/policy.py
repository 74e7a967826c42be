"""Who may do what (Art. 7-9, 15, 18): every authorisation decision of the ledger.

Authentication (is the signature the actor's, with a key valid when it signed) is in
:mod:`commands.signed.authenticate`; this module only answers whether an authenticated
department may send a command, and raises :class:`UnauthorisedError` (or, for a read,
:class:`AccessRefusedError`) when it may not.

Two kinds of decision, both here:

- :data:`BEFORE_HANDLING`: the bus runs these as its own stage (:func:`authorise`),
  after authentication and before the handler. Most need only the signer and the
  command; a few need state the bus loads for them through :class:`Facts`, read exactly
  as the handler reads it (the catalogue entry's issuers, the licence's issuer).
- :data:`IN_HANDLER`: decisions the handler takes by calling the rule named there, at the
  point where it has always been taken: after the payload is checked, with state only the
  handler loads (a grant's kind, a correction's issuer, a certificate's owner), or for a
  read, whose refusal is itself recorded (Art. 27). So the order in which a command's
  faults are reported, and the refusal codes recorded in ``AccessRecorded`` events that
  ``ledger audit --replay`` compares, stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from commands.messages.core import STATUS_ACTIONS
from ledger.domain.access import AGENT_AUTH_METHODS, refuse
from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.departments import Department
from ledger.domain.licence import Licence
from ledger.errors import AccessRefusedError, UnauthorisedError


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


def require_any_role(actor: Department, roles: tuple[str, str], message: str) -> None:
    if not any(actor.has_role(r) for r in roles):
        raise UnauthorisedError(message)


# -- decided before handling: the bus's authorise stage --------------------------------------
class Facts(Protocol):
    """State a rule may need, loaded by the bus as the handler loads it (same errors)."""

    def entry(self, type_code: str) -> CatalogueEntry:
        """The catalogue entry, or NotFoundError."""

    def licence(self, identifier: str) -> Licence:
        """The licence whose current version ``identifier`` is, or why not."""


Rule = Callable[[Any, Department, Facts], None]


def _admin(action: str) -> Rule:
    return lambda cmd, actor, facts: require_department_admin(actor, cmd.code, action)


def _role(role: str, action: str) -> Rule:
    return lambda cmd, actor, facts: require_role(actor, role, action)


def _issuer(action: str, *, management_too: bool = False) -> Rule:
    return lambda cmd, actor, facts: require_licence_issuer(
        actor, facts.licence(cmd.identifier), action, management_too=management_too)


BEFORE_HANDLING: dict[str, Rule] = {
    "RegisterLicenceType": _role("management", "registering a licence type"),
    "ReviseLicenceType": _role("management", "revising a licence type"),
    "RegisterDepartmentKey": _admin("registering a key"),
    "RotateDepartmentKey": _admin("rotating a key"),
    "RevokeDepartmentKey": _admin("revoking a key"),
    "SetUsageList": _admin("setting the usage list"),
    "RegisterFileCertificate": _admin("registering a file certificate"),
    "IssueLicence": lambda cmd, actor, facts: require_issuer_of_type(
        actor, facts.entry(cmd.type_code)),
    "ChangeLicence": lambda cmd, actor, facts: require_licence_issuer(
        actor, facts.licence(cmd.identifier), cmd.kind),
    **{name: _issuer(action.replace("_", " "), management_too=(action == "expire"))
       for name, action in STATUS_ACTIONS.items()},
    "RecordLicenceFile": _issuer("recording the file of"),
    "GrantFunctionalUse": _role("management", "granting use by function"),
    "GrantHolderConsent": _role("platform", "acting for a holder"),
    "DelegateUse": _role("platform", "acting for a holder"),
    # Before looking the grant up: whether it exists is none of this signer's business.
    "RevokeGrant": lambda cmd, actor, facts: require_any_role(
        actor, ("management", "platform"), "grants are revoked by the management department"
        f" (by function) or a platform (for a holder), not {actor.code}"),
    "RequestBulkAnalysis": _role("using", "requesting bulk analysis"),
    "DecideBulkAnalysis": _role("management", "deciding on bulk analysis (Art. 15)"),
    "ReportCorrection": lambda cmd, actor, facts: require_any_role(
        actor, ("platform", "using"), "corrections are reported by a holder (through the"
        f" platform) or a using department, not by {actor.code}"),
    "AnswerCorrection": _role("issuing", "answering a correction"),
    "ReportPaperCount": _role("issuing", "reporting paper counts"),
    "ReportCaseCount": _role("using", "reporting case counts"),
}


def authorise(type_name: str, command: Any, actor: Department, facts: Facts) -> None:
    """The bus's authorise stage: the rule decided before handling, if the type has one."""
    rule = BEFORE_HANDLING.get(type_name)
    if rule is not None:
        rule(command, actor, facts)


# -- decided in the handler (IN_HANDLER), and the rules the stage uses ----------------------
def may_register_department(actor: Department) -> None:
    """After the payload is checked: only management registers departments (after genesis)."""
    require_catalogue_owner(actor, "registering a department")


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


def may_revoke_grant(actor: Department, functional: bool) -> None:
    """Management revokes functional grants; a platform revokes a holder's grants."""
    if functional:
        require_catalogue_owner(actor, "revoking a functional grant")
    else:
        require_role(actor, "platform", "revoking a holder's grant")


def may_answer_correction(actor: Department, correction_code: str, correction_id: str) -> None:
    """A correction is answered by the issuer it was reported to."""
    if correction_code != actor.code:
        raise UnauthorisedError(f"correction {correction_id} is for issuer"
                                f" {correction_code}; {actor.code} may not answer it")


def may_report_paper_count(actor: Department, entry: CatalogueEntry, type_code: str) -> None:
    """Paper counts of a type come from its issuers."""
    if actor.code not in entry.issuers:
        raise UnauthorisedError(f"{actor.code} does not issue {type_code}; only its"
                                " issuers report its paper counts")


def require_issuer_or_management(actor: Department, issuer_code: str, action: str) -> None:
    """Quality findings: the issuing department they are about, or management."""
    if actor.has_role("management"):
        return
    if actor.has_role("issuing") and actor.code == issuer_code:
        return
    raise UnauthorisedError(f"{action} is for issuer {issuer_code} or the management"
                            f" department, not {actor.code}")


def require_certificate_owner(actor: Department, owner_code: str, fingerprint: str) -> None:
    """A department signs files only with a certificate registered to itself."""
    if owner_code != actor.code:
        raise UnauthorisedError(f"certificate {fingerprint[:16]}… is registered to"
                                f" {owner_code}, not {actor.code}")


def require_holder(holder_code: str, holders: tuple[Any, ...], identifier: str) -> None:
    """A platform acts for a holder only on that holder's licences."""
    if holder_code not in {h["code"] for h in holders}:
        raise refuse("wrong_party", f"{holder_code} is not a holder of licence {identifier}")


# Reads: refused reads are recorded, so these raise AccessRefusedError for the handler to
# record before it refuses.
def may_read_by_function(actor: Department, action: str) -> None:
    if not actor.has_role("using"):
        raise refuse("unauthorised", f"{action} by government function needs the"
                     f" using role; {actor.code} does not have it")


def may_act_for_holder(actor: Department, holder_code: str, agent_auth: str | None) -> None:
    """A platform, attesting how it authenticated the holder's real name."""
    if not actor.has_role("platform"):
        raise refuse("unauthorised", f"acting for a holder needs the platform"
                     f" role; {actor.code} does not have it")
    if agent_auth not in AGENT_AUTH_METHODS:
        raise refuse("agent_not_authenticated", f"platform {actor.code} must"
                     f" attest how it authenticated holder {holder_code}'s real"
                     f" name: agent_auth is one of {', '.join(AGENT_AUTH_METHODS)},"
                     f" not {agent_auth!r:.40}")


def may_query_issuer(actor: Department, issuer_code: str) -> None:
    """An issuer's reads and figures are its own, or management's."""
    if actor.code != issuer_code and not actor.has_role("management"):
        raise refuse("unauthorised", f"the reads and figures of issuer"
                     f" {issuer_code} are its own (or the management"
                     f" department's), not {actor.code}'s")
    if issuer_code == actor.code and not actor.has_role("issuing"):
        raise refuse("unauthorised", f"{actor.code} has not the issuing role")


def may_query_public_register(actor: Department) -> None:
    if not actor.has_role("platform"):
        raise refuse("unauthorised", "public queries are relayed by the public"
                     f" service platform, not by {actor.code}")


def may_bulk_read(actor: Department) -> None:
    if not actor.has_role("using"):
        raise AccessRefusedError(f"bulk reads are for using departments, not"
                                 f" {actor.code}", code="unauthorised")


_READ_TYPES = ("VerifyLicence", "ViewLicence", "DownloadLicence", "AnnotateLicence",
               "MakeAnnotatedCopy")
IN_HANDLER: dict[str, str] = {
    "RegisterDepartment": "may_register_department (after the payload is checked)",
    "RevokeGrant": "may_revoke_grant (the grant's kind)",
    "AnswerCorrection": "may_answer_correction (the correction)",
    "ReportPaperCount": "may_report_paper_count (the catalogue entry, after the role)",
    "RecordQualityFinding": "require_issuer_or_management (after the payload is checked)",
    "CloseQualityFinding": "require_issuer_or_management (the finding)",
    "RecordLicenceFile": "require_certificate_owner (the certificate)",
    "GrantHolderConsent": "require_holder (the licence)",
    "DelegateUse": "require_holder (the licence)",
    **{name: "may_read_by_function, access grant checks (recorded)" for name in _READ_TYPES},
    "QueryPublicRegister": "may_query_public_register (recorded)",
    "BulkRead": "may_bulk_read, bulk approval (recorded)",
    "ListHolderLicences": "may_act_for_holder (recorded)",
    "GetHolderAccessLog": "may_act_for_holder (recorded)",
    "DownloadHolderLicence": "may_act_for_holder, require_holder (recorded)",
    "GetIssuerAccessLog": "may_query_issuer (recorded)",
    "GetIssuerStatistics": "may_query_issuer (recorded)",
    "VerifyLicenceFile": "any registered department (recorded)",
}


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
