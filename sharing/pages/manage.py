"""The management department's view (Art. 3, 21, 31): issuance and usage rates per
department and licence type as charts, the paper-count reconciliation, the latest
checkpoint and audit, and overdue corrections. Reads only, except the audit button, which
starts a read-only audit in the background (docs/pages.md)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from commands.bootstrap import Services
from projections.models.corrections_queries import get_corrections
from projections.models.use_queries import get_stats
from sharing.pages.audit_cache import AuditCache
from sharing.pages.charts import bar_chart
from sharing.pages.directory import names, type_names
from sharing.pages.guard import fresh, login_first, signed_in_form, still_allowed
from sharing.pages.render import page, redirect, refused
from sharing.pages.session import Session
from sharing.routes.common import on_ledger

router = APIRouter(include_in_schema=False)
GONE = "该部门已不具备管理职能，请重新登录。"


def _rates(rows: list[dict[str, Any]], key: str, num: str, den: str
           ) -> list[tuple[str, float | None]]:
    """Sum numerators and reported denominators by ``key``; None where none was reported."""
    top: dict[str, int] = defaultdict(int)
    bottom: dict[str, int | None] = {}
    for r in rows:
        if not r[num] and r[den] is None:
            continue
        top[r[key]] += r[num] if r[den] is not None else 0
        if r[den] is not None:
            bottom[r[key]] = (bottom.get(r[key]) or 0) + r[den]
        else:
            bottom.setdefault(r[key], None)
    return [(k, (top[k] / d) if d else None) for k, d in sorted(bottom.items())]


def _reconciliation(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Electronic issues against the paper register's count per department, type and
    month: how many agree, and every one that does not (or was never reported)."""
    agreeing, differing = 0, []
    for r in rows:
        paper = r["paper_issued"]
        if paper == r["electronic_issued"]:
            agreeing += 1
        elif r["electronic_issued"] or paper is not None:
            state = "未报送" if paper is None else f"相差 {r['electronic_issued'] - paper:+d}"
            differing.append({**r, "state": state})
    return {"agreeing": agreeing, "differing": differing}


def manage_view(services: Services, session: Session) -> dict[str, Any] | None:
    if not still_allowed(fresh(services), session):
        return None
    rows = get_stats(services.read_db, None)["rows"]
    overdue = get_corrections(services.read_db, datetime.now(UTC),
                              overdue_only=True)["corrections"]
    dn = names(services, {r["department"] for r in rows} | {c["issuer_code"] for c in overdue})
    tn = type_names(services)

    def chart(title: str, key: str, num: str, den: str, labels: dict[str, str], cid: str
              ) -> Any:
        return title, bar_chart(title, [(labels.get(k, k), v) for k, v in
                                        _rates(rows, key, num, den)], cid)

    charts = [
        chart("发证率（按部门）", "department", "electronic_issued", "paper_issued", dn,
              "issuance-by-department"),
        chart("发证率（按证照类型）", "licence_type", "electronic_issued", "paper_issued", tn,
              "issuance-by-type"),
        chart("用证率（按部门）", "department", "cases_using_electronic", "cases_requiring",
              dn, "usage-by-department"),
        chart("用证率（按证照类型）", "licence_type", "cases_using_electronic",
              "cases_requiring", tn, "usage-by-type"),
    ]
    checkpoint = services.transparency_log().latest()
    return {"charts": charts, "reconciliation": _reconciliation(rows), "dept_names": dn,
            "type_names": tn, "overdue": overdue, "checkpoint": checkpoint,
            "head": services.store.max_notification_id(),
            "database_url": services.settings.database_url}


@router.get("/manage", response_class=HTMLResponse)
async def manage_page(request: Request) -> Response:
    session = await login_first(request, "management")
    if not isinstance(session, Session):
        return session
    view = await on_ledger(request, lambda s: manage_view(s, session))
    if view is None:
        return refused(request, 403, GONE)
    audit: AuditCache = request.app.state.audit
    return page(request, "manage.html", view=view, audit=audit.latest,
                audit_running=audit.running)


@router.post("/manage/audit", response_class=HTMLResponse)
async def run_audit(request: Request) -> Response:
    signed_in = await signed_in_form(request, "management")
    if isinstance(signed_in, Response):
        return signed_in
    session, _ = signed_in  # the form carries only its CSRF token
    view = await on_ledger(request, lambda s: manage_view(s, session))
    if view is None:
        return refused(request, 403, GONE)
    request.app.state.audit.start(view["database_url"])
    return redirect(request, "/manage#audit")
