"""Stand-in logins for the demo (clearly labelled), and logging out.

In production a holder signs in at the platform's real-name service and the platform
department's own system acts for them with its key; issuer and management staff sign in
through their department's identity provider. None of that is in this system, so the
demo lets a tester name a holder or choose a department (docs/pages.md). Set
LEDGER_PAGES_DEMO_LOGIN=0 to switch the stand-ins off.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from commands.bootstrap import Services
from ledger.domain.departments import Department
from sharing.pages import session as sessions
from sharing.pages.directory import known_departments, platform_of
from sharing.pages.ended import end
from sharing.pages.guard import checked_form
from sharing.pages.render import page, redirect, refused
from sharing.pages.session import Session, settings_of
from sharing.routes.common import on_ledger

router = APIRouter(include_in_schema=False)
HOME = {"holder": "/holder", "issuer": "/issuer", "management": "/manage"}
NEEDS = {"issuer": "issuing", "management": "management"}


@router.get("/", response_class=HTMLResponse)
@router.get("/portal", response_class=HTMLResponse)
async def portal(request: Request) -> HTMLResponse:
    settings = settings_of(request)
    session = sessions.current(request)
    known: list[Department] = []
    if settings.demo_login:
        known = await on_ledger(request, lambda s: known_departments(s, settings.keys_dir))
    return page(request, "portal.html", demo=settings.demo_login, home=HOME.get(
        session.role or ""), issuers=[d for d in known if "issuing" in d.roles],
        managers=[d for d in known if "management" in d.roles],
        platform=next((d for d in known if "platform" in d.roles), None))


def _holder_code_problem(code: str) -> str | None:
    if not 6 <= len(code) <= 32 or not code.isascii() or not code.isalnum():
        return "持证主体代码应为 6-32 位字母或数字（统一社会信用代码或身份证号码）。"
    return None


@router.post("/portal/login", response_class=HTMLResponse)
async def log_in(request: Request) -> Response:
    settings = settings_of(request)
    before = sessions.current(request)
    form = await checked_form(request, before)
    if isinstance(form, HTMLResponse):
        return form
    if not settings.demo_login:
        return refused(request, 404, "本服务未启用演示登录。")
    role, code = form.get("role", ""), form.get("code", "").strip().upper()
    if role == "holder":
        problem = _holder_code_problem(code)
        if problem:
            return refused(request, 400, problem)
        platform = await on_ledger(request, lambda s: platform_of(s, settings.keys_dir))
        if platform is None:
            return refused(request, 503, "服务器未持有政务服务平台的签名密钥（LEDGER_KEYS_DIR），"
                           "无法代持证人操作。")
        await _end(request, before)  # signing in as another ends the session before
        sessions.signed_in(request, "holder", platform.code, holder=code)
        return redirect(request, HOME["holder"])
    if role not in NEEDS:
        return refused(request, 400, "请选择登录身份：持证人、发证部门或管理部门。")

    def allowed(services: Services) -> bool:
        # Only the departments offered: those whose keys this server holds. A code is
        # public (every identifier names its issuer), so any other would let anyone in.
        held = {d.code: d for d in known_departments(services, settings.keys_dir)}
        department = held.get(code)
        return department is not None and NEEDS[role] in department.roles

    if not await on_ledger(request, allowed):
        return refused(request, 403, "台账中没有具有该职能的部门，不能以此身份登录。")
    await _end(request, before)
    sessions.signed_in(request, role, code)
    return redirect(request, HOME[role])


@router.post("/portal/logout", response_class=HTMLResponse)
async def log_out(request: Request) -> Response:
    session = sessions.current(request)
    form = await checked_form(request, session)
    if isinstance(form, HTMLResponse):
        return form
    await _end(request, session)
    sessions.signed_out(request)
    return redirect(request, "/portal")


async def _end(request: Request, session: Session) -> None:
    """A signed-in session ends for good: a kept copy of its cookie signs in no more."""
    if session.role is not None:
        await on_ledger(request, lambda s: end(s.state_db, session.sid, session.expires * 1000,
                                               int(time.time() * 1000)))
