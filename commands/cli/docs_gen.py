"""``docs/commands.md``, generated from the command types so it cannot drift.

Regenerate with ``python -m commands.cli.docs_gen > docs/commands.md``; a test compares.
"""

from __future__ import annotations

import dataclasses
import typing

from commands.authorisation.policy import WHO_MUST_SIGN
from commands.cli.docs_bounds import describe_type, render_bounds
from commands.messages.catalog import COMMAND_TYPES

WHO = {
    "RegisterLicenceType": "management", "ReviseLicenceType": "management",
    "RegisterDepartment": "management (the very first: the management department itself)",
    "RegisterDepartmentKey": "the department itself or management",
    "RotateDepartmentKey": "the department itself or management",
    "RevokeDepartmentKey": "the department itself or management",
    "SetUsageList": "the department itself or management",
    "IssueLicence": "an issuing department listed in the catalogue entry",
    "GrantFunctionalUse": "management", "GrantHolderConsent": "platform (for the holder)",
    "DelegateUse": "platform (for the holder)",
    "RevokeGrant": "management (functional grants), platform (holder grants)",
    "QueryPublicRegister": "platform (the public portal)",
    "RequestBulkAnalysis": "using department", "DecideBulkAnalysis": "management",
    "BulkRead": "using department",
    "ReportCorrection": "platform (for a holder) or a using department",
    "AnswerCorrection": "the licence's issuer", "ReportPaperCount": "an issuer of the type",
    "ReportCaseCount": "using department",
    "RegisterFileCertificate": "the department itself or management",
    "MakeAnnotatedCopy": "a using department (by function), the department a holder's"
                         " consent names, or the delegate (itself or through a platform)",
    "VerifyLicenceFile": "any registered department (the verifier of a presented file)",
    "RecordQualityFinding": "the issuer the finding is about, or management",
    "CloseQualityFinding": "the issuer the finding is about, or management",
    "ListHolderLicences": "platform (for a holder it authenticated)",
    "GetHolderAccessLog": "platform (for a holder it authenticated)",
    "DownloadHolderLicence": "platform (for a holder it authenticated, of their own licence)",
    "GetIssuerAccessLog": "the issuer itself, or management",
    "GetIssuerStatistics": "the issuer itself, or management",
}
READS = ("VerifyLicence", "ViewLicence", "DownloadLicence", "AnnotateLicence")


def who_must_sign_markdown() -> str:
    """The "Who must sign" section, from the policy's :data:`WHO_MUST_SIGN` table."""
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


def render() -> str:
    out = ["# Commands", "",
           "Generated from the command types (`commands/messages/core.py`,"
           " `commands/messages/use.py`) by `python -m commands.cli.docs_gen`; the JSON Schema is",
           "`commands/schema/command.schema.json`. Fields marked * are required.", ""]
    for name, cls in sorted(COMMAND_TYPES.items()):
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = []
        for f in dataclasses.fields(cls):
            required = (f.default is dataclasses.MISSING
                        and f.default_factory is dataclasses.MISSING)
            fields.append(f"`{f.name}`{'*' if required else ''} ({describe_type(hints[f.name])})")
        doc = cls.__doc__ or ""
        doc = "" if doc.startswith(name + "(") else " ".join(doc.split())
        who = WHO.get(name) or ("a using department (by function), the department a"
                                " holder's consent names, or the delegate (itself or through"
                                " a platform)" if name in READS else "the licence's issuer")
        out += [f"## {name}", ""] + ([doc, ""] if doc else []) + [
            f"Who: {who}.", "", "Payload: " + ", ".join(fields) + ".", ""]
    out.append(who_must_sign_markdown())  # see "Who must sign" in commands.authorisation.policy
    return "\n".join(out + render_bounds())


if __name__ == "__main__":
    print(render(), end="")
