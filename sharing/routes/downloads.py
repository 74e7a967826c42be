"""``GET /api/v1/files/{reference}``: a file, once, for the operator its read was for.

The reference came in the answer to a ``DownloadLicence`` or ``MakeAnnotatedCopy``
(sharing/downloads.py). The caller names the department and operator the reference is
bound to in ``X-Ledger-Department`` and ``X-Ledger-Operator`` (UTF-8, percent-encoded:
header values are Latin-1). Unknown → 404, spent or expired → 410, another party → 403.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from licence_files.store import FileStore
from sharing.downloads import Binding, DownloadRefusedError, Downloads
from sharing.problems import problem
from sharing.routes.common import on_ledger, problems

router = APIRouter(tags=["files"])
MEDIA = {"pdf": "application/pdf", "ofd": "application/ofd"}


BINDING = [{"name": name, "in": "header", "required": True, "schema": {"type": "string"},
            "description": f"the {what} the reference is bound to (UTF-8, percent-encoded)"}
           for name, what in (("X-Ledger-Department", "department"),
                              ("X-Ledger-Operator", "operator"))]


@router.get("/api/v1/files/{reference}", response_class=Response, responses={
    200: {"description": "the stored file's bytes (PDF or OFD)",
          "content": {"application/pdf": {}, "application/ofd": {}}},
    **problems(403, 404, 410, 503)}, openapi_extra={"parameters": BINDING})
async def get_file(request: Request, reference: str) -> Response:
    """Redeem a single-use download reference."""
    downloads: Downloads = request.app.state.downloads
    department = unquote(request.headers.get("x-ledger-department", ""))
    operator = unquote(request.headers.get("x-ledger-operator", ""))
    try:
        binding: Binding = await on_ledger(request, lambda s: downloads.redeem(
            s.state_db, reference, department, operator, int(time.time() * 1000)))
    except DownloadRefusedError as exc:
        return problem(exc.status, exc.code, exc.detail)
    files: FileStore = request.app.state.files
    data = await asyncio.to_thread(files.get, binding.file_hash, binding.format)
    name = f"{binding.file_hash[:16]}.{binding.format}"
    return Response(data, media_type=MEDIA.get(binding.format, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
