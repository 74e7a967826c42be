"""The issuing department's view (Art. 21, 27): who used our licences (filtered by
licence, using department, matter and period), our corrections queue with ages and
overdue flags, our statistics. Reads of read models only; nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from commands.bootstrap import Services
from ledger.domain.localtime import beijing_date
from projections.models.corrections_queries import get_corrections
from projections.models.use_queries import get_access_log, get_stats
from sharing.pages.directory import names, type_names
from sharing.pages.guard import fresh, login_first, still_allowed
from sharing.pages.render import page, refused
from sharing.pages.session import Session
from sharing.routes.common import on_ledger

router = APIRouter(include_in_schema=False)
FILTERS = ("licence", "user", "matter", "since", "until")
SHOWN = 500  # rows on one page; the filters narrow them
SCANNED = 100_000


def _matches(row: dict[str, Any], f: dict[str, str]) -> bool:
    day = beijing_date(str(row["recorded_at"])).isoformat()  # the calendar people use
    return ((not f["licence"] or row["identifier"] == f["licence"])
            and (not f["user"] or row["organisation"] == f["user"])
            and (not f["matter"] or row["matter_code"] == f["matter"])
            and (not f["since"] or day >= f["since"])
            and (not f["until"] or day <= f["until"]))


def issuer_view(services: Services, session: Session, f: dict[str, str]
                ) -> dict[str, Any] | None:
    if not still_allowed(fresh(services), session) or session.department is None:
        return None
    code = session.department
    rows = [r for r in get_access_log(services.read_db, issuer=code, limit=SCANNED)
            if _matches(r, f)]
    rows.reverse()  # newest first
    corrections = get_corrections(services.read_db, datetime.now(UTC), issuer=code,
                                  include_answered=True)["corrections"]
    stats = [r for r in get_stats(services.read_db, None)["rows"] if r["department"] == code]
    users = sorted({r["organisation"] for r in rows})
    return {"code": code, "rows": rows[:SHOWN], "total": len(rows), "corrections": corrections,
            "overdue": sum(1 for c in corrections if c["overdue"]), "stats": stats,
            "names": names(services, {code, *users}), "users": users,
            "type_names": type_names(services)}


@router.get("/issuer", response_class=HTMLResponse)
async def issuer_page(request: Request) -> Response:
    session = await login_first(request, "issuer")
    if not isinstance(session, Session):
        return session
    f = {k: request.query_params.get(k, "").strip()[:128] for k in FILTERS}
    view = await on_ledger(request, lambda s: issuer_view(s, session, f))
    if view is None:
        return refused(request, 403, "该部门已不具备发证职能，请重新登录。")
    return page(request, "issuer.html", view=view, f=f, shown=SHOWN)
