"""The pages' style sheet, script and CJK font, from this origin only (the content
security policy allows nothing else). The font is the one licence faces are rendered
with (LEDGER_FONT_FILE, Debian's fonts-wqy-microhei by default)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from sharing.pages.session import settings_of

HERE = Path(__file__).parent / "static"
TYPES = {"site.css": "text/css; charset=utf-8", "site.js": "text/javascript; charset=utf-8"}
CACHE = {"Cache-Control": "public, max-age=3600"}

router = APIRouter(include_in_schema=False)


@router.get("/static/{name}")
async def asset(name: str) -> Response:
    if name not in TYPES:  # a fixed list: no path from the request reaches the disk
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(HERE / name, media_type=TYPES[name], headers=CACHE)


@router.get("/static/fonts/cjk.ttc")
async def font(request: Request) -> Response:
    path = settings_of(request).font_file
    if not path.is_file():
        return Response("no CJK font installed on the server", status_code=404,
                        media_type="text/plain")
    return FileResponse(path, media_type="font/collection", headers=CACHE)
