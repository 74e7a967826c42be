"""A holder downloads their own licence's file from the portal (Art. 16, 28).

The button posts (with the form's CSRF token) to ``/holder/download``; the server signs a
``DownloadHolderLicence`` as the platform department for the signed-in holder and runs it
through the same path as ``POST /api/v1/commands``, so the read is recorded (action
``holder_download``) and shows in the holder's history and the issuer's usage view. The
single-use download reference in the answer is redeemed here, at once, by the party it is
bound to, and the bytes are the response: the browser never sees a reference, so there is
no URL to share or open again.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from licence_files.store import FileStore
from sharing.downloads import Binding, DownloadRefusedError, Downloads
from sharing.pages.directory import platform_key
from sharing.pages.guard import signed_in_form
from sharing.pages.holder import AGENT_AUTH, GONE, OPERATOR, holder_view
from sharing.pages.render import redirect, refused
from sharing.pages.session import settings_of
from sharing.pages.submit import submit_signed
from sharing.routes.commands import completed
from sharing.routes.common import on_ledger
from sharing.routes.downloads import MEDIA

router = APIRouter(include_in_schema=False)
PURPOSE = "持证人下载本人证照文件"
NO_FILE = "此证照的文件未存放在本系统，暂时无法下载；如需文件请联系发证部门。"


@router.post("/holder/download", response_class=HTMLResponse)
async def download(request: Request) -> Response:
    signed_in = await signed_in_form(request, "holder")
    if isinstance(signed_in, Response):
        return signed_in
    session, form = signed_in
    view = await on_ledger(request, lambda s: holder_view(s, session))
    if view is None or session.department is None or session.holder is None:
        return refused(request, 403, GONE)
    identifier = form.get("identifier", "")
    if identifier not in {x["identifier"] for x in view["licences"]}:
        # The platform signs only for the holder's own licences (the ledger would refuse
        # wrong_party too, but the platform must not even ask).
        return refused(request, 403, "只能下载您本人名下的证照。")
    key = platform_key(settings_of(request).keys_dir, session.department)
    payload = {"holder_code": session.holder, "operator": OPERATOR, "purpose": PURPOSE,
               "agent_auth": AGENT_AUTH, "identifier": identifier}
    signed, result = await submit_signed(request, key, session.department,
                                         "DownloadHolderLicence", payload)
    if result.get("status") == "pending":  # Kafka: recorded later; nothing to serve now
        return redirect(request, "/holder?pending=1")
    if signed is None or result.get("status") != "accepted":
        code = str(result.get("code") or "rejected")
        return redirect(request, f"/holder?code={code if code.isidentifier() else 'rejected'}")
    body = await completed(request, signed, result)
    return await _serve(request, session.department, (body.get("data") or {}).get("download"))


async def _serve(request: Request, department: str, download: dict[str, Any] | None
                 ) -> Response:
    """The file the reference opens, redeemed now for the platform's own operator."""
    if not download:
        return refused(request, 404, NO_FILE)
    downloads: Downloads = request.app.state.downloads
    try:
        binding: Binding = await on_ledger(request, lambda s: downloads.redeem(
            s.state_db, download["reference"], department, OPERATOR, int(time.time() * 1000)))
    except DownloadRefusedError:  # just issued to this very party: only a race spends it
        return refused(request, 410, "下载凭据已失效，请返回后重新下载。")
    files: FileStore = request.app.state.files
    data = await asyncio.to_thread(files.get, binding.file_hash, binding.format)
    name = f"{binding.file_hash[:16]}.{binding.format}"
    return Response(data, media_type=MEDIA.get(binding.format, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
