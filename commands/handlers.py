"""One handler per command type, in one registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commands import department_handlers as dh
from commands import licence_handlers as lh
from commands.context import Context

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
    **{name: lh.change_status for name in lh.STATUS_ACTIONS},
}
