"""Who may see a page: the session's role, checked again against the ledger at every
request (a department that lost its role loses its view at once), and the CSRF token of
every form."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from commands.bootstrap import Services
from sharing.pages import session as sessions
from sharing.pages.ended import ended
from sharing.pages.render import redirect, refused
from sharing.pages.session import Session
from sharing.routes.common import on_ledger
from sharing.stored_state import get_department

ROLE_OF_VIEW = {"holder": "platform", "issuer": "issuing", "management": "management"}


def fresh(services: Services) -> Services:
    """Read models up to date first on the embedded default (a no-op when they are)."""
    if services.settings.inline_projections:
        services.projections.catch_up()
    return services


def still_allowed(services: Services, session: Session) -> bool:
    if session.role is None or session.department is None:
        return False
    department = get_department(services, session.department)
    return department is not None and ROLE_OF_VIEW[session.role] in department.roles


async def login_first(request: Request, role: str) -> Session | Response:
    """The session when it is signed in as ``role`` and was not logged out; else the
    answer to send instead (a kept copy of a logged-out session's cookie is no session)."""
    session = sessions.current(request)
    if not session.signed_in(role):
        return redirect(request, "/portal")
    if await on_ledger(request, lambda s: ended(s.state_db, session.sid)):
        sessions.signed_out(request)
        return redirect(request, "/portal")
    return session


async def checked_form(request: Request, session: Session) -> dict[str, Any] | HTMLResponse:
    """The posted form when its CSRF token is the session's; a 403 page otherwise."""
    form = await request.form()
    data: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    data["_lists"] = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    if not sessions.csrf_ok(session, form.get("csrf")):
        return refused(request, 403, "表单已过期或来源不明（CSRF 校验未通过）。请返回后重新提交。")
    return data


async def signed_in_form(request: Request, role: str
                         ) -> tuple[Session, dict[str, Any]] | Response:
    """For a form posted by a page of ``role``: the session and its CSRF-checked form, or
    the answer to send instead (the portal, or a 403 page)."""
    session = await login_first(request, role)
    if not isinstance(session, Session):
        return session
    form = await checked_form(request, session)
    if isinstance(form, HTMLResponse):
        return form
    return session, form
