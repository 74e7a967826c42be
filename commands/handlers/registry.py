"""One handler per command type, in one registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commands.handlers import departments as dh
from commands.handlers import files as fh
from commands.handlers import holders as hq
from commands.handlers import licences as lh
from commands.handlers import quality as qh
from commands.handlers import reports as rh
from commands.handlers import use as uh
from commands.handlers.context import Context
from commands.messages.core import STATUS_ACTIONS

Handler = Callable[[Any, Context], None]

HANDLERS: dict[str, Handler] = {
    "RegisterLicenceType": dh.register_licence_type,
    "ReviseLicenceType": dh.revise_licence_type,
    "RegisterDepartment": lambda cmd, ctx: dh.register_department(cmd, ctx, genesis=False),
    "RegisterDepartmentKey": dh.register_department_key,
    "RotateDepartmentKey": dh.rotate_department_key,
    "RevokeDepartmentKey": dh.revoke_department_key,
    "SetUsageList": dh.set_usage_list,
    "IssueLicence": lh.issue_licence,
    "ChangeLicence": lh.change_licence,
    **{name: lh.change_status for name in STATUS_ACTIONS},
    "GrantFunctionalUse": uh.grant_functional_use,
    "GrantHolderConsent": uh.grant_holder_consent,
    "DelegateUse": uh.delegate_use,
    "RevokeGrant": uh.revoke_grant,
    **{name: uh.read_licence for name in uh.ACTION_OF},
    "QueryPublicRegister": uh.query_public_register,
    "RequestBulkAnalysis": rh.request_bulk_analysis,
    "DecideBulkAnalysis": rh.decide_bulk_analysis,
    "BulkRead": rh.bulk_read,
    "ReportCorrection": rh.report_correction,
    "AnswerCorrection": rh.answer_correction,
    "ReportPaperCount": rh.report_paper_count,
    "ReportCaseCount": rh.report_case_count,
    "RegisterFileCertificate": fh.register_file_certificate,
    "RecordLicenceFile": fh.record_licence_file,
    "MakeAnnotatedCopy": fh.make_annotated_copy,
    "VerifyLicenceFile": fh.verify_licence_file,
    **{name: hq.holder_query for name in ("ListHolderLicences", "GetHolderAccessLog")},
    "DownloadHolderLicence": hq.download_holder_licence,
    **{name: hq.issuer_query for name in ("GetIssuerAccessLog", "GetIssuerStatistics")},
    "RecordQualityFinding": qh.record_quality_finding,
    "CloseQualityFinding": qh.close_quality_finding,
}
