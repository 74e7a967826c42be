"""The holder portal (Art. 16, 17(2), 28): my licences, who may use them, who used them.

The holder signed in at the platform's real-name service (here: its stand-in); every
write is a command the platform department signs with its own key for that holder
(``GrantHolderConsent``, ``DelegateUse``, ``RevokeGrant``), exactly what the platform's
system would post to ``POST /api/v1/commands``. So is every view of the page: the
holder's licences and who used them are the answers of the signed queries
``ListHolderLicences`` and ``GetHolderAccessLog``, recorded like any read of personal data
(actions ``holder_licences``, ``holder_access_log``), as the API records them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from commands.bootstrap import Services
from sharing.holder_queries import holder_licences
from sharing.pages.directory import names, platform_key, type_names
from sharing.pages.guard import fresh, login_first, signed_in_form, still_allowed
from sharing.pages.render import page, redirect, refused
from sharing.pages.session import Session, settings_of
from sharing.pages.submit import submit, submit_signed
from sharing.routes.commands import completed
from sharing.routes.common import on_ledger

router = APIRouter(include_in_schema=False)
RIGHTS = ("verify", "view", "download")
COMMANDS = ("GrantHolderConsent", "DelegateUse", "RevokeGrant")
CODE = re.compile(r"[a-z_]{1,40}")
GONE = "平台部门已不具备代持证人操作的职能，请重新登录。"
OPERATOR = "持证人本人（政务服务平台）"
# The stand-in login stands for the platform's real-name service, which authenticates a
# holder by their identity certificate; production attests what the platform really used.
AGENT_AUTH = "certificate"
QUERIES = {"ListHolderLicences": "持证人查看本人证照", "GetHolderAccessLog": "持证人查看用证记录"}


def holder_view(services: Services, session: Session) -> dict[str, Any] | None:
    """The holder's licences and live grants, read to check a posted form against them
    before the platform signs anything (what the page shows is the recorded answers)."""
    if not still_allowed(fresh(services), session) or session.holder is None:
        return None
    return holder_licences(services, session.holder)


def _labelled(services: Services, answers: dict[str, Any]) -> dict[str, Any]:
    codes = ({r["organisation"] for r in answers["reads"]}
             | {g["grantee"] for g in answers["live_grants"]})
    return {**answers, "history": answers["reads"], "names": names(services, codes),
            "type_names": type_names(services)}


async def recorded_view(request: Request, session: Session) -> dict[str, Any] | str:
    """The page's data: the answers of the platform's two signed queries for this holder
    (each recorded by the ledger), or the code the ledger answered instead."""
    if session.department is None or session.holder is None or not await on_ledger(
            request, lambda s: still_allowed(fresh(s), session)):
        return "gone"
    key = platform_key(settings_of(request).keys_dir, session.department)
    answers: dict[str, Any] = {}
    for command_type, purpose in QUERIES.items():
        signed, result = await submit_signed(request, key, session.department, command_type, {
            "holder_code": session.holder, "operator": OPERATOR, "purpose": purpose,
            "agent_auth": AGENT_AUTH})
        if signed is None or result.get("status") != "accepted":
            return str(result.get("code") or result.get("status") or "rejected")
        answers.update((await completed(request, signed, result)).get("data") or {})
    return await on_ledger(request, lambda s: _labelled(s, answers))


@router.get("/holder", response_class=HTMLResponse)
async def holder_page(request: Request) -> Response:
    session = await login_first(request, "holder")
    if not isinstance(session, Session):
        return session
    view = await recorded_view(request, session)
    if view == "gone":
        return refused(request, 403, GONE)
    if view == "pending":  # Kafka: the queries are taken, not yet answered within the bound
        return refused(request, 503, "台账尚未答复本次查询，请稍后刷新本页。")
    if isinstance(view, str):
        return refused(request, 403, "台账拒绝了本次查询（"
                       f"{view if CODE.fullmatch(view) else 'rejected'}）。")
    # Only the outcomes this portal's own redirects name are shown, never other text.
    done = request.query_params.get("done")
    code = request.query_params.get("code", "")
    return page(request, "holder.html", view=view, rights=RIGHTS, today=view["as_of"],
                done=done if done in COMMANDS else None,
                pending=request.query_params.get("pending") == "1",
                code=code if CODE.fullmatch(code) else None)


Build = Callable[[dict[str, Any], Session, dict[str, Any]], "dict[str, Any] | str"]


async def _write(request: Request, command_type: str, build: Build) -> Response:
    signed_in = await signed_in_form(request, "holder")
    if isinstance(signed_in, Response):
        return signed_in
    session, form = signed_in
    view = await on_ledger(request, lambda s: holder_view(s, session))
    if view is None or session.department is None:
        return refused(request, 403, GONE)
    payload = build(form, session, view)
    if isinstance(payload, str):
        return refused(request, 400, payload)
    key = platform_key(settings_of(request).keys_dir, session.department)
    result = await submit(request, key, session.department, command_type, payload)
    if result.get("status") == "accepted":
        return redirect(request, f"/holder?done={quote(command_type)}")
    if result.get("status") == "pending":  # Kafka: taken, not yet answered within the bound
        return redirect(request, "/holder?pending=1")
    return redirect(request, f"/holder?code={quote(str(result.get('code') or 'rejected'))}")


def _licence_and_window(form: dict[str, Any], view: dict[str, Any]) -> dict[str, Any] | str:
    identifier = form.get("identifier", "")
    if identifier not in {x["identifier"] for x in view["licences"]}:
        return "请选择您本人名下的一张证照。"
    matter = form.get("matter_code", "").strip()
    if not matter:
        return "请填写事项编码。"
    start, end = form.get("valid_from", ""), form.get("valid_until", "")
    if not start or not end or end < start:
        return "请填写有效的起止日期（截止日期不早于开始日期）。"
    return {"identifier": identifier, "matter_code": matter, "valid_from": start,
            "valid_until": end}


def _grant(form: dict[str, Any], session: Session, view: dict[str, Any]
           ) -> dict[str, Any] | str:
    common = _licence_and_window(form, view)
    if isinstance(common, str):
        return common
    rights = [r for r in form["_lists"].get("rights", []) if r in RIGHTS]
    grantee = form.get("grantee", "").strip().upper()
    if not rights or not grantee:
        return "请填写用证部门代码，并至少选择一项用证方式。"
    return {"grant_id": f"K-{uuid.uuid4().hex[:16]}", "holder_code": session.holder,
            "grantee": grantee, "rights": rights, **common}


def _delegate(form: dict[str, Any], session: Session, view: dict[str, Any]
              ) -> dict[str, Any] | str:
    common = _licence_and_window(form, view)
    if isinstance(common, str):
        return common
    name, code = form.get("agent_name", "").strip(), form.get("agent_code", "").strip().upper()
    if not name or not code:
        return "请填写被委托人的姓名和身份证号码。"
    return {"grant_id": f"D-{uuid.uuid4().hex[:16]}", "holder_code": session.holder,
            "agent_name": name, "agent_code": code, **common}


def _revoke(form: dict[str, Any], session: Session, view: dict[str, Any]
            ) -> dict[str, Any] | str:
    grant_id = form.get("grant_id", "")
    if grant_id not in {g["grant_id"] for g in view["live_grants"]}:
        return "只能撤回您本人给出且仍然有效的授权。"
    return {"grant_id": grant_id, "reason": form.get("reason", "").strip() or "持证人撤回授权"}


@router.post("/holder/grant", response_class=HTMLResponse)
async def grant(request: Request) -> Response:
    return await _write(request, "GrantHolderConsent", _grant)


@router.post("/holder/delegate", response_class=HTMLResponse)
async def delegate(request: Request) -> Response:
    return await _write(request, "DelegateUse", _delegate)


@router.post("/holder/revoke", response_class=HTMLResponse)
async def revoke(request: Request) -> Response:
    return await _write(request, "RevokeGrant", _revoke)
